import type { Command } from 'commander';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Enrolling a simulated card into an issuer, in two commands around the issuer's `POST /admin/cards`:
 * `cardlab card describe --card card.json --cardholder ID [--with-keys] [-o FILE]` prints the card as
 * that endpoint takes it (`curl -d @FILE` enrols it), and `cardlab card personalise --card card.json
 * --registration ANSWER` puts the issuer's answer (certificate, derived keys) into the card image.
 */
export function registerCardDescribe(card: Command): void {
  card
    .command('describe')
    .description("print a card as an issuer's POST /admin/cards takes it (IIN, CIN, IC serial, ISD AID, public key; ISD keys with --with-keys)")
    .requiredOption('--card <file>', 'card image (cardlab card new)')
    .requiredOption('--cardholder <id>', "the issuer's cardholder the card is registered to (POST /admin/cardholders answers it)")
    .option('--with-keys', "include the card's ISD keys (the issuer keeps them instead of deriving its own); a file written with them is 0600")
    .option('-o, --output <file>', 'write the description to this file instead of stdout')
    .action(async (opts: { card: string; cardholder: string; withKeys?: boolean; output?: string }) => {
      const { loadCard } = await import('../../../simulator/index.ts');
      const { describeCard } = await import('../../env/card-description.ts');
      const description = describeCard(loadCard(opts.card), { cardholderId: opts.cardholder, withKeys: opts.withKeys === true });
      const text = `${JSON.stringify(description, null, 2)}\n`;
      if (!opts.output) {
        process.stdout.write(text);
        return;
      }
      // Keys are secrets: the file is the owner's alone (mode applies when the file is created; chmod when it existed).
      writeFileSync(opts.output, text, opts.withKeys ? { mode: 0o600 } : {});
      if (opts.withKeys) chmodSync(opts.output, 0o600);
      process.stdout.write(`wrote ${opts.output}: card ${description.cin}${opts.withKeys ? ', with its ISD keys (mode 0600)' : ''}\n`);
    });
  card
    .command('personalise')
    .description("put an issuer's registration answer (POST /admin/cards: certificate, derived ISD keys) into a card image")
    .requiredOption('--card <file>', 'card image to personalise (written back)')
    .requiredOption('--registration <file>', 'the JSON answer of POST /admin/cards')
    .action(async (opts: { card: string; registration: string }) => {
      const { loadCard } = await import('../../../simulator/index.ts');
      const { personaliseCard } = await import('../../env/card-description.ts');
      const card = loadCard(opts.card);
      let answer: unknown;
      try {
        answer = JSON.parse(readFileSync(opts.registration, 'utf8'));
      } catch (err) {
        throw new Error(`${opts.registration}: ${(err as Error).message}`);
      }
      let done: string[];
      try {
        done = personaliseCard(card, answer);
      } catch (err) {
        throw new Error(`${opts.registration}: ${(err as Error).message}`);
      }
      card.saveImage(opts.card);
      process.stdout.write(`personalised ${opts.card}: ${done.join('; ')}\n`);
    });
}
