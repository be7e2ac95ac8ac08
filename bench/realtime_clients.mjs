// The load side of bench/realtime_fanout.py: COUNT sockets of the npm socket.io-client (the seed's
// client), each subscribed to its own server. Prints "ready" once every subscription is
// acknowledged; then, told "go <epoch ms>" on stdin (when the pass was committed), waits for one
// server-stats per socket and prints the delivery latencies as one JSON line.
//
//   node realtime_clients.mjs URL TOKEN FIRST_SERVER_ID COUNT
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(new URL('../tests/js/package.json', import.meta.url));
const { io } = require('socket.io-client');

const [url, token, firstArg, countArg] = process.argv.slice(2);
const first = Number(firstArg);
const count = Number(countArg);
const received = [];
let subscribed = 0;
let committedAt = null;
const sockets = [];

function report() {
  const latencies = received.map((t) => t - committedAt).sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(JSON.stringify({
    received: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1],
  }));
  for (const s of sockets) s.close();
  process.exit(0);
}

for (let i = 0; i < count; i++) {
  const socket = io(url, { auth: { token }, transports: ['websocket'], forceNew: true });
  sockets.push(socket);
  socket.on('connect', () => {
    socket.emit('subscribe-server', first + i, () => {
      subscribed += 1;
      if (subscribed === count) console.log('ready');
    });
  });
  socket.on('server-stats', () => {
    received.push(Date.now());
    if (received.length === count && committedAt !== null) report();
  });
  socket.on('connect_error', (error) => {
    console.error(`connect_error: ${error.message}`);
    process.exit(1);
  });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [word, at] = line.split(' ');
  if (word === 'go') {
    committedAt = Number(at);
    if (received.length === count) report();
    setTimeout(report, 30000); // whatever came within 30 s
  }
});
