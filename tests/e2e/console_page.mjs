// The console page in chromium: wait until noVNC's canvas shows the simulated screen, count its
// lit pixels, screenshot the page, then press Ctrl-Alt-Del and paste, and see the screen change.
// For a link that cannot open a console, wait for the page's message instead.
export default async function (page, params) {
  const origins = new Set();
  page.on('request', (request) => origins.add(new URL(request.url()).origin));
  const answer = await page.goto(params.url);
  const status = answer.status();
  if (params.reconnect) {
    // The panel's session cookie (a login on our origin), then the page's Reconnect button: it
    // asks for a new link and opens it.
    await page.locator('#message').waitFor({ state: 'visible', timeout: 15000 });
    const login = await page.evaluate(async (credentials) => (await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(credentials),
    })).status, params.reconnect);
    await page.click('#reconnect');
    await page.waitForURL((url) => url.href !== params.url, { timeout: 15000 });
    await page.waitForFunction(() => document.getElementById('status').textContent === 'Connected',
      null, { timeout: 15000 });
    return { status, login, url: page.url() };
  }
  if (params.expectMessage) {
    const message = page.locator('#message');
    await message.waitFor({ state: 'visible', timeout: 15000 });
    await page.waitForFunction(() => document.getElementById('message').textContent.length > 0);
    if (params.screenshot) await page.screenshot({ path: params.screenshot });
    return { status, message: await message.textContent(), origins: [...origins] };
  }
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Connected',
    null, { timeout: 15000 });
  const litPixels = () => page.evaluate(() => {
    const canvas = document.querySelector('#screen canvas');
    if (!canvas || !canvas.width) return 0;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 192) lit += 1;
    return lit;
  });
  const waitForMore = async (than) => {
    for (let i = 0; i < 150; i += 1) {
      const lit = await litPixels();
      if (lit > than) return lit;
      await page.waitForTimeout(100);
    }
    throw new Error(`the screen stayed at ${than} lit pixels`);
  };
  const first = await waitForMore(1000);
  const canvas = await page.evaluate(() => {
    const c = document.querySelector('#screen canvas');
    const box = c.getBoundingClientRect();
    return { width: c.width, height: c.height, box: [box.left, box.top, box.right, box.bottom] };
  });
  await page.screenshot({ path: params.screenshot });
  await page.click('#ctrl-alt-del');
  const afterReboot = await waitForMore(first);
  await page.fill('#paste-text', 'echo pasted');
  await page.click('#paste');
  const afterPaste = await waitForMore(afterReboot);
  return { status, first, afterReboot, afterPaste, canvas, origins: [...origins] };
}
