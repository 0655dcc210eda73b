// ibc — no sideways scrolling when zoomed (UI.md: usable at 200% zoom;
// WCAG 1.4.10 reflow). A 1280-px window at 200% is a 640×400 CSS-px
// viewport with two device pixels per CSS pixel; WCAG's reflow width is
// 320 CSS px (1280 px at 400%). Also the version for the visually impaired
// at its largest size on a 360-px phone and at 200% zoom.

import { suite, hScroll, overflowing, shot } from './lib.mjs';

const PAGES = ['/', '/news', '/prefs'];

const VIEWS = [
    { name: '1280px at 200%', viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 },
    { name: '320 CSS px', viewport: { width: 320, height: 640 }, deviceScaleFactor: 1 },
];

// The low-vision version, largest type, wide spacing (the widest it gets).
const A11Y_VIEWS = [
    { name: 'a11y largest+wide at 360px', viewport: { width: 360, height: 740 },
        deviceScaleFactor: 1, a11y: 's3-bw-i1-w1', shot: 'a11y-360-largest' },
    { name: 'a11y largest at 1280px 200%', viewport: { width: 640, height: 400 },
        deviceScaleFactor: 2, a11y: 's3-wb-i1-w0' },
];

await suite('reflow', async ({ t, base, browser }) => {
    // A news item too: its address comes from the news list.
    const probe = await browser.newPage();
    await probe.goto(base + '/news');
    const item = await probe.locator('main article h2 a').first().getAttribute('href');
    await probe.close();
    const pages = item ? [...PAGES, item] : PAGES;

    for (const v of [...VIEWS, ...A11Y_VIEWS]) {
        await t.step(v.name, async () => {
            const ctx = await browser.newContext({
                viewport: v.viewport, deviceScaleFactor: v.deviceScaleFactor,
            });
            if (v.a11y) {
                await ctx.addCookies([{ name: 'ibc_a11y', value: v.a11y, url: base }]);
            }
            const page = await ctx.newPage();
            for (const p of pages) {
                const resp = await page.goto(base + p);
                const sw = await hScroll(page);
                const ok = t.check(`${v.name}: ${p} (${resp.status()}) has no horizontal scroll`,
                    resp.status() === 200 && sw.scrollWidth <= sw.clientWidth,
                    `status ${resp.status()}, scrollWidth ${sw.scrollWidth} > clientWidth ${sw.clientWidth}`);
                if (!ok) {
                    t.note(`sticking out: ${(await overflowing(page)).join(', ')}`);
                }
                if (v.a11y && p === '/prefs') {
                    // Squeezed rows must not shrink the radio buttons (the
                    // targets a low-vision reader has to hit).
                    const r = await page.evaluate(() => {
                        const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
                        const w = [...document.querySelectorAll('input[type=radio]')]
                            .map((i) => i.getBoundingClientRect().width);
                        return { want: 1.25 * rem, min: Math.min(...w) };
                    });
                    t.check(`${v.name}: /prefs radio buttons keep their size (1.25 rem)`,
                        r.min >= r.want - 0.5, JSON.stringify(r));
                }
                if (v.shot) {
                    // The first screen only: the whole page is too tall to see.
                    await shot(page, `${v.shot}${p === '/' ? '' : p.replace(/\//g, '-')}`,
                        { fullPage: false });
                }
            }
            await ctx.close();
        });
    }
});
