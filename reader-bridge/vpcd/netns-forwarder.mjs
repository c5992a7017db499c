// Runs inside a quickack network namespace (see quickack-namespace.sh), started by private-pcscd.ts:
//   ip netns exec NAME node netns-forwarder.mjs SOCKET PORT OWNER_PID
// A process outside the namespace cannot reach the namespace's loopback, but it can reach a unix socket
// (a file). Every connection on SOCKET is joined to vpcd's TCP PORT on the namespace's loopback, one
// TCP connection per card connection, so a card served outside (a card object that must stay in its
// own process) is inserted and removed exactly when it connects and disconnects. The TCP leg is the
// one vpcd writes to in two send() calls; here it runs over the quickack routes, so it does not stall.
// Plain JavaScript on purpose: no loader, fast start. Exits when OWNER_PID is gone.
import { connect, createServer } from 'node:net';
import { rmSync } from 'node:fs';

const [socketPath, port, owner] = process.argv.slice(2);
if (!socketPath || !port) {
  process.stderr.write('usage: netns-forwarder.mjs SOCKET PORT [OWNER_PID]\n');
  process.exit(2);
}
rmSync(socketPath, { force: true });

const server = createServer((outside) => {
  const inside = connect({ host: '127.0.0.1', port: Number(port) });
  inside.setNoDelay(true);
  outside.pipe(inside);
  inside.pipe(outside);
  const end = () => {
    outside.destroy();
    inside.destroy();
  };
  for (const s of [outside, inside]) {
    s.on('close', end);
    s.on('error', end);
  }
});
server.listen(socketPath, () => process.stdout.write('listening\n'));

if (owner) {
  setInterval(() => {
    try {
      process.kill(Number(owner), 0);
    } catch {
      process.exit(0);
    }
  }, 1000);
}
