// ibc — axe-core (from npm) on every page of the web shell: no violation
// of impact "serious" or "critical" on the home page (Russian and English),
// the news list, a news item, /prefs, a 404 page, and the home page in each
// colour scheme of the version for the visually impaired at its largest
// size. Every violation found is printed (id, impact, nodes), also the
// moderate and minor ones, which do not fail the test.

import { suite, axe } from './lib.mjs';

const BAD = new Set(['serious', 'critical']);

await suite('axe', async ({ t, base, browser }) => {
    // The pages' Content-Security-Policy forbids inline scripts; axe is
    // injected as one, so this context bypasses CSP (the pages are not
    // changed by it otherwise).
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await ctx.newPage();

    await page.goto(base + '/news');
    const item = await page.locator('main article h2 a').first().getAttribute('href');

    const runs = [
        { name: 'home (ru)', path: '/' },
        { name: 'home (en)', path: '/', lang: 'en' },
        { name: 'news index', path: '/news' },
        { name: 'news item', path: item || '/news/1' },
        { name: 'prefs', path: '/prefs' },
        { name: 'prefs (en)', path: '/prefs', lang: 'en' },
        { name: '404 page', path: '/no-such-page', status: 404 },
        { name: 'home, a11y black on white, largest', path: '/', a11y: 's3-bw-i1-w0' },
        { name: 'home, a11y white on black, largest', path: '/', a11y: 's3-wb-i1-w0' },
        { name: 'home, a11y blue, largest', path: '/', a11y: 's3-blue-i1-w0' },
        { name: 'news, a11y white on black, largest, no images, wide', path: '/news', a11y: 's3-wb-i0-w1' },
    ];

    for (const r of runs) {
        await t.step(`axe: ${r.name}`, async () => {
            await ctx.clearCookies();
            const cookies = [];
            if (r.lang) {
                cookies.push({ name: 'ibc_lang', value: r.lang, url: base });
            }
            if (r.a11y) {
                cookies.push({ name: 'ibc_a11y', value: r.a11y, url: base });
            }
            if (cookies.length) {
                await ctx.addCookies(cookies);
            }
            const resp = await page.goto(base + r.path);
            t.eq(`${r.name}: ${r.path} answers ${r.status || 200}`, resp.status(), r.status || 200);
            if (r.status === 404) {
                t.eq(`${r.name}: says «Страница не найдена»`,
                    await page.locator('main h1').innerText(), 'Страница не найдена');
            }
            if (r.a11y) {
                t.check(`${r.name}: the a11y version is on`,
                    (await page.locator('html').getAttribute('class') || '').includes('a11y-s3'),
                    'cookie not applied');
            }
            const violations = await axe(page);
            for (const v of violations) {
                t.note(`${r.name}: ${v.impact} ${v.id} — ${v.help}`);
                for (const n of v.nodes) {
                    t.note(`    ${n.target}: ${n.summary}`);
                }
            }
            const bad = violations.filter((v) => BAD.has(v.impact));
            t.check(`${r.name}: no serious or critical axe violation`, bad.length === 0,
                bad.map((v) => `${v.impact} ${v.id} (${v.nodes.length} nodes: ` +
                    v.nodes.map((n) => n.target).join('; ') + ')').join(', '));
        });
    }
    await ctx.close();
});
