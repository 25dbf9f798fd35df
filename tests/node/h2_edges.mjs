// Raw HTTP/2 against the server's gRPC side, for what a well-behaved gRPC client never
// sends: a size prefix of 4 GiB on a stream kept open, many large streams at once, the
// compressed flag without (or with an unknown) grpc-encoding, gzip garbage, two messages
// on a unary call, a JSON body. Node's own http2 module speaks the frames; the test
// (tests/e2e/http2_edges_e2e.cpp) reads the one JSON line this prints and asserts.
//
//   node h2_edges.mjs --url http://127.0.0.1:PORT --scenario NAME [--hex MESSAGE_HEX]
//   (the token in MU_TOKEN)
import http2 from 'node:http2';
import zlib from 'node:zlib';

const args = {};
for (let i = 2; i + 1 < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const token = process.env.MU_TOKEN ?? '';
const path = '/zitadel.management.v1.ManagementService/UpdateMachine';
const message = Buffer.from(args.hex ?? '', 'hex');

function frame(flag, payload, claimed = payload.length) {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(claimed, 1);
  return Buffer.concat([head, payload]);
}

// One stream: `send(req, state)` writes; the result says what came back and when.
function call(session, headers, send, timeoutMs = 10000) {
  const t0 = Date.now();
  const req = session.request({
    ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers',
    authorization: `Bearer ${token}`, ...headers,
  }, { endStream: false });
  const state = { sent: 0, answered: false, closed: false };
  const result = { httpStatus: null, grpcStatus: null, grpcMessage: null, rstCode: null, sentBeforeAnswer: null, ms: null };
  const answer = (h) => {
    if (h['grpc-status'] === undefined || result.grpcStatus !== null) return;
    result.grpcStatus = Number(h['grpc-status']);
    result.grpcMessage = decodeURIComponent(h['grpc-message'] ?? '');
    state.answered = true;
    result.sentBeforeAnswer = state.sent;
    result.ms = Date.now() - t0;
  };
  req.on('response', (h) => { result.httpStatus = h[':status']; answer(h); });
  req.on('trailers', answer);
  req.on('data', () => {});
  req.on('error', () => {});
  const closed = new Promise((resolve) => req.on('close', () => { state.closed = true; result.rstCode = req.rstCode; resolve(); }));
  state.closedPromise = closed;
  const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
  const written = send(req, state);
  return { req, state, written, done: Promise.race([closed, timer]).then(() => { if (!state.closed) req.close(http2.constants.NGHTTP2_CANCEL); return result; }) };
}

// Writes `total` bytes in 64 KiB chunks after `head`, honouring back-pressure, until
// the stream is answered or closed. Never ends the stream.
async function trickle(req, state, head, total) {
  req.write(head);
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  while (state.sent < total && !state.answered && !state.closed) {
    const n = Math.min(chunk.length, total - state.sent);
    const ok = req.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    state.sent += n;
    if (!ok) await Promise.race([new Promise((r) => req.once('drain', r)), state.closedPromise]);
  }
}

function whole(bytes) {
  return (req, state) => { req.end(bytes); state.sent = bytes.length; };
}

async function metric(name) {
  const text = await (await fetch(`${args.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ')[1]) : null;
}

async function main() {
  const session = http2.connect(args.url);
  session.on('error', () => {});
  const out = {};
  switch (args.scenario) {
    case 'oversized': {
      // A prefix claiming 4 GiB, then up to 16 MiB on a stream that stays open.
      const c = call(session, {}, (req, st) => trickle(req, st, frame(0, Buffer.alloc(0), 0xffffffff), 16 * 1024 * 1024));
      out.oversized = await c.done;
      break;
    }
    case 'budget': {
      // Many streams on two connections, each with a legal 1 MiB prefix and all but its
      // last byte, never ended: together far more than the server's budget.
      const second = http2.connect(args.url);
      second.on('error', () => {});
      const streams = [];
      for (const s of [session, second]) {
        for (let i = 0; i < Number(args.streams ?? 90); i++) {
          streams.push(call(s, {}, (req, st) => trickle(req, st, frame(0, Buffer.alloc(0), 1024 * 1024), 1024 * 1024 - 1), 60000));
        }
      }
      await Promise.all(streams.map((c) => c.written));
      out.heldBytes = await metric('mu_grpc_buffered_bytes');
      out.streams = streams.length;
      out.refused = streams.filter((c) => c.state.answered).length;
      out.offeredBytes = streams.reduce((n, c) => n + c.state.sent, 0);
      for (const c of streams) c.req.close(http2.constants.NGHTTP2_CANCEL);
      const results = await Promise.all(streams.map((c) => c.done));
      out.codes = [...new Set(results.filter((r) => r.grpcStatus !== null).map((r) => r.grpcStatus))];
      second.close();
      break;
    }
    case 'bad-messages': {
      out.flagWithoutEncoding = await call(session, {}, whole(frame(1, message))).done;
      out.unknownEncoding = await call(session, { 'grpc-encoding': 'snappy' }, whole(frame(1, message))).done;
      out.gzipGarbage = await call(session, { 'grpc-encoding': 'gzip' }, whole(frame(1, Buffer.from('not gzip at all')))).done;
      out.twoMessages = await call(session, {}, whole(Buffer.concat([frame(0, message), frame(0, message)]))).done;
      out.json = await call(session, { 'content-type': 'application/json' }, whole(Buffer.from('{"name":"json"}'))).done;
      break;
    }
    case 'gzip': {
      out.gzip = await call(session, { 'grpc-encoding': 'gzip' }, whole(frame(1, zlib.gzipSync(message)))).done;
      break;
    }
    default:
      throw new Error(`unknown scenario ${args.scenario}`);
  }
  session.close();
  console.log(JSON.stringify(out));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
