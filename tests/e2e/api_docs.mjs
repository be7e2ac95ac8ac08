// Opens /api/docs and waits until Swagger UI has drawn every operation of the document.
export default async function (page, params) {
  await page.goto(params.url, { waitUntil: "load" });
  await page.waitForFunction(
    (count) => document.querySelectorAll('[id^="operations-"]:not([id^="operations-tag-"])').length >= count,
    params.operations,
    { timeout: 60000 },
  );
  return {
    shown: await page.$$eval('[id^="operations-"]:not([id^="operations-tag-"])', (nodes) => nodes.map((n) => n.id)),
    title: await page.textContent(".info .title"),
    missingVersion: (await page.$(".version-pragma__message--missing")) !== null,
  };
}
