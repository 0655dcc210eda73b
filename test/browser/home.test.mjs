// ibc — the home page as a person sees it: on a 360-px phone and a 1280-px
// desk screen (status, language, school name, news, visible focus, skip
// link, no sideways scrolling; screenshots home-360.png, home-1280.png),
// and used from the keyboard alone (Tab order, skip link to main, the
// version for the visually impaired switched on and off with keys).

import { suite, hScroll, overflowing, shot, htmlLang, htmlClass, submitKey } from './lib.mjs';

const NEWS = [
    'Библиотека открыта после летних каникул',
    'Неделя детской книги: «Читаем вместе»',
    'Новые поступления: электронные учебники и аудиокниги',
];

// What the focused element is, in words a failure message can show.
const focused = (page) =>
    page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) {
            return { tag: 'body', text: '' };
        }
        return {
            tag: el.tagName.toLowerCase(),
            id: el.id || '',
            cls: el.className || '',
            text: (el.innerText || el.value || '').replace(/\s+/g, ' ').trim(),
            href: el.getAttribute('href') || '',
            nav: !!el.closest('nav'),
        };
    });

// Is the focused element's focus indicator drawn, and is the element on
// screen? (outline or box-shadow from :focus-visible, inside the viewport)
const focusRing = (page) =>
    page.evaluate(() => {
        const el = document.activeElement;
        const s = getComputedStyle(el);
        const r = el.getBoundingClientRect();
        return {
            outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
            drawn: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) ||
                s.boxShadow !== 'none',
            onScreen: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight &&
                r.right <= innerWidth && r.width > 0 && r.height > 0,
            rect: [r.left, r.top, r.width, r.height].map(Math.round),
        };
    });

await suite('home', async ({ t, base, browser }) => {
    for (const [w, h] of [[360, 740], [1280, 800]]) {
        await t.step(`home at ${w}px`, async () => {
            const ctx = await browser.newContext({ viewport: { width: w, height: h } });
            const page = await ctx.newPage();
            const resp = await page.goto(base + '/');
            t.eq(`${w}px: GET / answers 200`, resp.status(), 200);
            t.eq(`${w}px: <html lang="ru">`, await htmlLang(page), 'ru');
            t.check(`${w}px: the title names the page and the school`,
                /Главная.*Школа № 12/.test(await page.title()), await page.title());
            const header = page.locator('header.site-header');
            t.check(`${w}px: «Школа № 12» in the header`,
                await header.getByText('Школа № 12', { exact: true }).isVisible(),
                `header text: ${await header.innerText()}`);
            for (const title of NEWS) {
                t.check(`${w}px: news heading «${title}»`,
                    await page.getByRole('heading', { name: title }).isVisible(),
                    'not a visible heading');
            }
            t.eq(`${w}px: the footer names the school`,
                (await page.locator('footer p').first().innerText()).trim(),
                'Школа № 12 · Информационно-библиотечный центр школы');
            t.check(`${w}px: the first heading is the page's h1`,
                await page.locator('main h1').first().isVisible(), 'no visible h1 in main');
            // Room to breathe: the header's content is not glued to the
            // window's top edge, the page's h1 not glued to the navigation.
            const gaps = await page.evaluate(() => {
                const r = (q) => document.querySelector(q).getBoundingClientRect();
                return {
                    headerTop: Math.round(r('.brand').top - r('.site-header').top),
                    mainTop: Math.round(r('main h1').top - r('.site-header').bottom),
                };
            });
            t.check(`${w}px: space above the school name in the header`, gaps.headerTop >= 8,
                JSON.stringify(gaps));
            t.check(`${w}px: space between the navigation and the h1`, gaps.mainTop >= 16,
                JSON.stringify(gaps));
            const sw = await hScroll(page);
            t.check(`${w}px: no horizontal scroll`, sw.scrollWidth <= sw.clientWidth,
                JSON.stringify(sw));
            if (sw.scrollWidth > sw.clientWidth) {
                t.note(`sticking out: ${(await overflowing(page)).join(', ')}`);
            }
            await shot(page, `home-${w}`);

            // The skip link is hidden until focused, then appears with a
            // visible focus ring.
            const skip = page.locator('a.skip');
            const before = await skip.boundingBox();
            t.check(`${w}px: the skip link is off screen before focus`,
                before && before.y + before.height <= 0, JSON.stringify(before));
            await page.keyboard.press('Tab');
            const f = await focused(page);
            t.check(`${w}px: the first Tab focuses the skip link`,
                f.tag === 'a' && f.href === '#main', JSON.stringify(f));
            t.eq(`${w}px: the skip link reads «Перейти к содержанию»`, f.text, 'Перейти к содержанию');
            const ring = await focusRing(page);
            t.check(`${w}px: the skip link appears on screen when focused`, ring.onScreen,
                JSON.stringify(ring));
            t.check(`${w}px: the focus ring is visible`, ring.drawn, JSON.stringify(ring));
            await shot(page, `home-${w}-focus`, { fullPage: false });
            // The next stop (the school name, a link in the header) too.
            await page.keyboard.press('Tab');
            const ring2 = await focusRing(page);
            t.check(`${w}px: the focus ring is visible on the second stop too`,
                ring2.drawn && ring2.onScreen, JSON.stringify(ring2));
            await ctx.close();
        });
    }

    await t.step('keyboard only', async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await ctx.newPage();
        await page.goto(base + '/');
        const stops = [];
        for (let i = 0; i < 12; i++) {
            await page.keyboard.press('Tab');
            stops.push(await focused(page));
        }
        const say = () => stops.map((s) => `${s.tag}:${s.text || s.href}`).join(' → ');
        t.note(`Tab order: ${say()}`);
        const at = (pred) => stops.findIndex(pred);
        const iSkip = at((s) => s.href === '#main');
        const iA11y = at((s) => s.tag === 'button' && s.text === 'Версия для слабовидящих');
        const iLang = at((s) => s.tag === 'button' && s.text === 'English');
        const iHome = at((s) => s.nav && s.text === 'Главная');
        const iNews = at((s) => s.nav && s.text === 'Новости');
        t.eq('Tab 1 is the skip link', iSkip, 0);
        t.check('Tab reaches the a11y button after the skip link', iA11y > iSkip, say);
        t.check('Tab reaches the language button after the a11y button', iLang > iA11y, say);
        t.check('Tab reaches nav «Главная» after the language button', iHome > iLang, say);
        t.check('Tab reaches nav «Новости» after «Главная»', iNews > iHome, say);
        const iMain = at((s, i) => i > iNews && s.href.startsWith('/news/'));
        t.check('after the navigation, Tab goes into the news', iMain > iNews, say);

        // Enter on the skip link puts focus on <main>; the next Tab goes to
        // the first link inside it.
        await page.goto(base + '/');
        await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        const m = await focused(page);
        t.check('Enter on the skip link moves focus to main', m.tag === 'main' && m.id === 'main',
            JSON.stringify(m));
        await page.keyboard.press('Tab');
        const n = await page.evaluate(() => {
            const el = document.activeElement;
            return { inMain: !!el.closest('main'), text: el.innerText };
        });
        t.check('…and the next Tab lands on the first link in main', n.inMain, JSON.stringify(n));

        // The version for the visually impaired, with the keyboard alone.
        await page.goto(base + '/');
        for (let i = 0; i <= iA11y; i++) {
            await page.keyboard.press('Tab');
        }
        t.eq('the a11y button can be focused with Tab', (await focused(page)).text,
            'Версия для слабовидящих');
        await submitKey(page, 'Enter');
        t.check('Enter on it turns the version on', /\ba11y\b/.test(await htmlClass(page) || ''),
            `class="${await htmlClass(page)}"`);
        // Tab to «Обычная версия» and press Space.
        let found = false;
        for (let i = 0; i < 30 && !found; i++) {
            await page.keyboard.press('Tab');
            found = (await focused(page)).text === 'Обычная версия';
        }
        t.check('Tab reaches «Обычная версия» in the panel', found, 'not reached in 30 Tabs');
        if (found) {
            await submitKey(page, 'Space');
            t.check('Space on it turns the version off', !/\ba11y\b/.test(await htmlClass(page) || ''),
                `class="${await htmlClass(page)}"`);
        }
        await ctx.close();
    });
});
