// ibc — the version for the visually impaired (UI.md), used as a person
// would: the header button turns it on (a form POST, no JavaScript needed),
// the panel's buttons change the type size, the colour scheme, images and
// spacing; the choice is remembered on reload and on another page;
// «Обычная версия» turns it off. Screenshots a11y-bw/wb/blue.png.

import {
    suite, submit, rootFontSize, bodyColours, htmlClass, shot,
} from './lib.mjs';

const SCHEMES = [
    { code: 'bw', label: 'Чёрным по белому', color: 'rgb(0, 0, 0)', background: 'rgb(255, 255, 255)' },
    { code: 'wb', label: 'Белым по чёрному', color: 'rgb(255, 255, 255)', background: 'rgb(0, 0, 0)' },
    { code: 'blue', label: 'Тёмно-синим по голубому', color: 'rgb(6, 52, 98)', background: 'rgb(157, 209, 255)' },
];

const SIZES = [
    { value: 1, label: 'Крупный' },
    { value: 2, label: 'Очень крупный' },
    { value: 3, label: 'Огромный' },
];

const has = (cls, word) => (cls || '').split(/\s+/).includes(word);

await suite('a11y-version', async ({ t, base, browser }) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const panel = page.locator('section.a11y-bar');
    const button = (name) => panel.getByRole('button', { name, exact: true });

    const normal = await t.step('the standard version', async () => {
        await page.goto(base + '/');
        t.check('the panel is not shown before it is asked for', !(await panel.isVisible()), 'visible');
        t.eq('the standard version has no a11y class', await htmlClass(page) || '', '');
        return { font: await rootFontSize(page), colours: await bodyColours(page) };
    });

    await t.step('turn on', async () => {
        const r = await submit(page, page.getByRole('button', { name: 'Версия для слабовидящих' }));
        t.check('the header button submits a form POST answered with 303',
            r.length >= 2 && r[0].request().method() === 'POST' && r[0].status() === 303,
            r.map((x) => `${x.request().method()} ${x.status()}`).join(', '));
        t.eq('…and comes back to the same page', new URL(page.url()).pathname, '/');
        t.check('the panel appears', await panel.isVisible(), 'section.a11y-bar not visible');
        t.check('<html> carries the a11y class', has(await htmlClass(page), 'a11y'),
            `class="${await htmlClass(page)}"`);
        t.check('the header button is gone (the panel has «Обычная версия»)',
            await page.getByRole('button', { name: 'Версия для слабовидящих' }).count() === 0 &&
            await button('Обычная версия').isVisible(), 'still there, or no way back');
    });

    await t.step('type sizes', async () => {
        const sizes = [];
        for (const s of SIZES) {
            // The buttons read «А» with the size's name for screen readers.
            await submit(page, button(`А ${s.label}`));
            sizes.push(parseFloat(await rootFontSize(page)));
            t.eq(`size ${s.value} («${s.label}») is marked pressed`,
                await button(`А ${s.label}`).getAttribute('aria-pressed'), 'true');
        }
        t.note(`root font-size: normal ${normal && normal.font}, sizes ${sizes.map((x) => x + 'px').join(', ')}`);
        const base16 = normal ? parseFloat(normal.font) : 16;
        t.check('size 1 is larger than the standard type', sizes[0] > base16, `${sizes[0]} <= ${base16}`);
        t.check('each size is larger than the one before', sizes[1] > sizes[0] && sizes[2] > sizes[1],
            sizes.join(', '));
        t.eq('the sizes are 20, 24 and 32 px', sizes, [20, 24, 32]);
        // Back to the first size for the scheme screenshots.
        await submit(page, button('А Крупный'));
    });

    await t.step('colour schemes', async () => {
        for (const s of SCHEMES) {
            await submit(page, button(s.label));
            const c = await bodyColours(page);
            t.eq(`«${s.label}»: body colours`, c, { color: s.color, background: s.background });
            t.eq(`«${s.label}» is marked pressed`, await button(s.label).getAttribute('aria-pressed'), 'true');
            // The header and the navigation follow the scheme too.
            const hdr = await page.evaluate(() => {
                const h = getComputedStyle(document.querySelector('.site-header'));
                const n = getComputedStyle(document.querySelector('.main-nav a:not([aria-current])'));
                return { header: h.backgroundColor, navLink: n.color };
            });
            t.eq(`«${s.label}»: the header and nav links use the scheme`, hdr,
                { header: s.background, navLink: s.color });
            await shot(page, `a11y-${s.code}`);
        }
        await submit(page, button('Чёрным по белому'));
    });

    await t.step('images off', async () => {
        const logo = page.locator('header img.brand-logo');
        t.check('the logo is shown with images on', await logo.isVisible(), 'no visible logo');
        await submit(page, button('Не показывать'));
        t.check('images off: the logo is not shown', !(await logo.isVisible()), 'logo still visible');
        const visibleImgs = await page.evaluate(() =>
            [...document.images].filter((i) => i.getBoundingClientRect().width > 0).length);
        t.eq('images off: no image on the page is shown', visibleImgs, 0);
        t.check('images off: the school name is still there',
            await page.locator('header').getByText('Школа № 12', { exact: true }).isVisible(), 'gone');
        t.check('images off: the button now offers «Показывать»',
            await button('Показывать').isVisible(), 'no «Показывать» button');
    });

    await t.step('wide spacing', async () => {
        const before = await page.evaluate(() => getComputedStyle(document.body).letterSpacing);
        await submit(page, button('Увеличенные'));
        const s = await page.evaluate(() => {
            const b = getComputedStyle(document.body);
            return { letter: b.letterSpacing, word: b.wordSpacing, line: b.lineHeight, font: b.fontSize };
        });
        t.note(`spacing: before ${before}, after ${JSON.stringify(s)}`);
        t.check('wide spacing: letter-spacing grows', before === 'normal' || parseFloat(before) === 0
            ? parseFloat(s.letter) > 0 : parseFloat(s.letter) > parseFloat(before), JSON.stringify(s));
        t.check('wide spacing: at least 0.12 em between letters (WCAG 1.4.12)',
            parseFloat(s.letter) >= 0.12 * parseFloat(s.font) - 0.01, JSON.stringify(s));
        t.check('wide spacing: line height at least 1.5', parseFloat(s.line) >= 1.5 * parseFloat(s.font),
            JSON.stringify(s));
        // Headings (larger type) and buttons (which do not inherit
        // letter-spacing by default) get 0.12 of their own font size too.
        for (const [what, loc] of [['the h1', page.locator('main h1')],
            ['a button', page.locator('.tools button').first()]]) {
            const x = await loc.evaluate((el) => {
                const b = getComputedStyle(el);
                return { letter: b.letterSpacing, font: b.fontSize };
            });
            t.check(`wide spacing: ${what} gets 0.12 em too`,
                parseFloat(x.letter) >= 0.12 * parseFloat(x.font) - 0.01, JSON.stringify(x));
        }
    });

    // Pick a distinctive combination, then check it is remembered.
    await t.step('remembered', async () => {
        await submit(page, button('Белым по чёрному'));
        await submit(page, button('А Очень крупный'));
        const want = await htmlClass(page);
        t.note(`chosen: class="${want}"`);
        const look = async () => ({
            cls: await htmlClass(page),
            font: await rootFontSize(page),
            colours: await bodyColours(page),
            letter: await page.evaluate(() => getComputedStyle(document.body).letterSpacing),
            logo: await page.locator('img.brand-logo').isVisible(),
        });
        const chosen = await look();
        t.check('the chosen settings are all on', chosen.font === '24px' &&
            chosen.colours.background === 'rgb(0, 0, 0)' && !chosen.logo && parseFloat(chosen.letter) > 0,
            JSON.stringify(chosen));
        await page.reload();
        t.eq('after reload: the same settings', await look(), chosen);
        t.check('after reload: the panel is there', await panel.isVisible(), 'no panel');
        await page.goto(base + '/news');
        t.eq('on /news: the same settings', await look(), chosen);
        t.check('on /news: the panel is there', await panel.isVisible(), 'no panel');
        t.eq('on /news: the page is the news page', await page.locator('main h1').innerText(), 'Новости');
        await shot(page, 'a11y-wb-news');
    });

    await t.step('turn off', async () => {
        await submit(page, button('Обычная версия'));
        t.eq('«Обычная версия» comes back to /news', new URL(page.url()).pathname, '/news');
        t.eq('the a11y class is gone', await htmlClass(page) || '', '');
        t.check('the panel is gone', !(await panel.isVisible()), 'still visible');
        if (normal) {
            t.eq('type size is back to normal', await rootFontSize(page), normal.font);
            t.eq('colours are back to normal', await bodyColours(page), normal.colours);
        }
        t.check('the logo is back', await page.locator('img.brand-logo').isVisible(), 'no logo');
        t.check('the header button is back',
            await page.getByRole('button', { name: 'Версия для слабовидящих' }).isVisible(), 'no button');
        await page.goto(base + '/');
        t.eq('the standard version is remembered too', await htmlClass(page) || '', '');
    });

    await ctx.close();
});
