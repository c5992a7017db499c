/** The reader bridge: one `Reader`, many transports, and the tools around it. The one door for other folders. */
export { ReaderError, ReaderEvents, withTimeout, type Reader, type ReaderEvent, type ReaderErrorCode } from './reader.ts';
export { createSimReader, type SimReader } from './sim-reader.ts';
export { createPcscReader, listReaders, loadPcscLibrary, VPCD_READER_NAME, type PcscReader, type PcscReaderOptions } from './pcsc-reader.ts';
export { createPcscWorkerReader, type PcscWorkerReader, type PcscWorkerReaderOptions } from './pcsc-worker-reader.ts';
export { createReplayReader, replayTrace, type ReplayReader } from './replay-reader.ts';
export { encodeFrame, FrameDecoder, MAX_FRAME_PAYLOAD, VPCD_CONTROL } from './vpcd/framing.ts';
export { startPrivatePcscd, INSTALL_PCSC_STACK, type PrivatePcscd, type PrivatePcscdOptions } from './vpcd/private-pcscd.ts';
export { serveCardOverVpcd, type ServedCard, type VpcdCardServer, type VpcdServeOptions, type VpcdServerEvent } from './vpcd/vpcd-card-server.ts';
export { type TraceEntry, type TraceDir, type TraceSink, TraceParseError } from './trace/trace-entry.ts';
export { withTrace } from './trace/with-trace.ts';
export { toJsonLines, parseJsonLines } from './trace/json-lines.ts';
export { toAnnotatedText, parseAnnotatedText } from './trace/annotated-text.ts';
export { parseTrace } from './trace/parse-trace.ts';
export { toGsmtapPcap, gsmtapExchanges, GSMTAP_UDP_PORT, type GsmtapExchange, type PcapOptions } from './trace/pcap.ts';
export { diffTraces, type TraceDiff, type TraceDiffOptions } from './trace/trace-diff.ts';
export { withGetResponse } from './middleware/with-get-response.ts';
export { withLatency } from './middleware/with-latency.ts';
export { openReaderBySpec } from './reader-spec.ts';
