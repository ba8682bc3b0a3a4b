// Runs axe-core (WCAG 2.0/2.1 A and AA rules) in headless Chromium over HTML files, and measures
// horizontal overflow at a 390 px wide screen. Prints one JSON object: {file: result}.
// Usage: NODE_PATH=<dir>/node_modules node axe_check.js CHROMIUM FILE...
const path = require("path");
const fs = require("fs");
const puppeteer = require("puppeteer-core");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

(async () => {
  const [chromium, ...files] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: chromium, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
  const results = {};
  try {
    for (const file of files) {
      const page = await browser.newPage();
      // Nothing may be fetched: the pages are self-contained.
      await page.setRequestInterception(true);
      const fetched = [];
      page.on("request", (request) => {
        const url = request.url();
        if (url.startsWith("file:") || url.startsWith("data:")) request.continue();
        else { fetched.push(url); request.abort(); }
      });
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
      await page.evaluate(axeSource);
      const axe = await page.evaluate(async () => {
        const r = await window.axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
        });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
      });
      const headings = await page.evaluate(() =>
        [...document.querySelectorAll("h1")].filter((h) => h.getClientRects().length > 0 ||
          h.classList.contains("visually-hidden")).length);
      await page.setViewport({ width: 390, height: 844 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const overflow = await page.evaluate(() => {
        const root = document.documentElement;
        const wide = [...document.querySelectorAll("body *")].filter((el) => {
          const r = el.getBoundingClientRect();
          if (!r.width || getComputedStyle(el).position === "fixed") return false;
          let p = el.parentElement;
          while (p) { const s = getComputedStyle(p).overflowX; if (s === "auto" || s === "scroll" || s === "hidden") return false; p = p.parentElement; }
          return r.right > root.clientWidth + 1;
        }).slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : ""));
        return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, bodyScrollWidth: document.body.scrollWidth, wide };
      });
      results[file] = { violations: axe, h1: headings, overflow, fetched };
      await page.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results, null, 1) + "\n");
})().catch((error) => { console.error(error); process.exit(3); });
