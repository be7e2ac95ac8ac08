// The seed's "Subscribe to real-time updates" example, as written there, with the one addition the
// API asks for: the bearer token in the handshake's `auth`. Prints the first `server-stats` event as
// one JSON line and exits 0; exits 1 on a refused connection or after TIMEOUT_MS without an event.
//
//   node seed_example.mjs http://127.0.0.1:8000 <token> <serverId>
import { io } from 'socket.io-client';

const [url, token, serverId] = process.argv.slice(2);
const TIMEOUT_MS = 15000;

// Subscribe to real-time updates
const socket = io(url, { auth: { token } });
socket.emit('subscribe-server', Number(serverId));
socket.on('server-stats', (data) => {
  console.log(JSON.stringify(data));
  socket.close();
  process.exit(0);
});
socket.on('connect_error', (error) => {
  console.error(`connect_error: ${error.message}`);
  process.exit(1);
});
setTimeout(() => {
  console.error('no server-stats in time');
  process.exit(1);
}, TIMEOUT_MS);
