// The sandbox checkout page as a customer meets it: open the payment's page, press a button,
// wait for the page the post answers. With `again`, go back to the form and press Pay once more
// (a customer who resubmits the page).
export default async function (page, params) {
  await page.goto(params.url, { waitUntil: "load" });
  const amount = await page.textContent("#amount");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`#${params.button}`)]);
  const status = await page.getAttribute("#status", "data-status");
  let again = null;
  if (params.again) {
    await page.goBack({ waitUntil: "load" });
    if (await page.$("#pay")) {
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("#pay")]);
    } else {
      await page.reload({ waitUntil: "load" });
    }
    again = await page.getAttribute("#status", "data-status");
  }
  return { amount, status, again, buttons: (await page.$$("button")).length };
}
