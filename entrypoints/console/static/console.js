// The console page: noVNC's RFB on our own websocket (/console/<link>/websocket). The proxy has
// authenticated to the hypervisor already, so the page speaks RFB without a password.
import RFB from '/console/novnc/core/rfb.js';

const body = document.body;
const secret = location.pathname.split('/')[2];
const statusLine = document.getElementById('status');
const notice = document.getElementById('message');
const buttons = ['ctrl-alt-del', 'paste', 'paste-text'].map((id) => document.getElementById(id));
let rfb = null;

function say(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

function enable(on) {
  for (const element of buttons) element.disabled = !on;
}

const messageFor = (key) => body.dataset[`message${key.replace(/^./, (c) => c.toUpperCase())}`];

// Why the session ended (or never began): the link's state as the server keeps it.
async function whyEnded(connected) {
  try {
    const answer = await fetch(`/console/${secret}/state`, { cache: 'no-store' });
    const link = await answer.json();
    if (link.state === 'ended' && connected) return messageFor(link.reason || 'closed');
    return messageFor(link.state) || messageFor('closed');
  } catch {
    return messageFor('closed');
  }
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  rfb = new RFB(document.getElementById('screen'), `${scheme}://${location.host}/console/${secret}/websocket`,
    { wsProtocols: ['binary'] });
  rfb.scaleViewport = true;
  rfb.background = '#000';
  let connected = false;
  rfb.addEventListener('connect', () => {
    connected = true;
    statusLine.textContent = 'Connected';
    say('');
    enable(true);
    rfb.focus();
  });
  rfb.addEventListener('disconnect', async () => {
    enable(false);
    statusLine.textContent = 'Disconnected';
    say(await whyEnded(connected));
  });
}

// A link opens one session: reconnecting asks for a new link with the panel's session cookie.
async function reconnect() {
  const csrf = document.cookie.split('; ').find((c) => c.startsWith('csrf_token='));
  try {
    const answer = await fetch('/api/server/console', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf ? csrf.slice(11) : '' },
      body: JSON.stringify({ serverId: Number(body.dataset.serverId) }),
    });
    if (answer.ok) {
      location.replace((await answer.json()).url);
      return;
    }
  } catch {
    // fall through to the advice
  }
  say('A new console link is needed: open the console again from the control panel.');
}

document.getElementById('ctrl-alt-del').addEventListener('click', () => rfb && rfb.sendCtrlAltDel());
document.getElementById('paste').addEventListener('click', () => {
  const field = document.getElementById('paste-text');
  if (rfb && field.value) rfb.clipboardPasteFrom(field.value);
  field.value = '';
  if (rfb) rfb.focus();
});
document.getElementById('reconnect').addEventListener('click', reconnect);

if (body.dataset.state === 'ready') connect();
