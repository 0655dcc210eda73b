// ibc — the language switch (Russian by default, English switchable, the
// choice remembered), and the whole of the page's settings working with
// JavaScript turned off: the switches are plain forms.

import { suite, submit, htmlLang, htmlClass, bodyColours } from './lib.mjs';

const navLabels = (page) => page.locator('nav.main-nav a').allInnerTexts();

await suite('lang', async ({ t, base, browser }) => {
    await t.step('language switch', async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await ctx.newPage();
        await page.goto(base + '/');
        t.eq('Russian by default', await htmlLang(page), 'ru');
        t.eq('Russian navigation', await navLabels(page), ['Главная', 'Новости']);

        const en = page.locator('header').getByRole('button', { name: /English/ });
        t.eq('the switch button reads «English»', (await en.innerText()).trim(), 'English');
        t.eq('the switch button is marked lang="en"', await en.getAttribute('lang'), 'en');
        await submit(page, en);
        t.eq('after «English»: back on the same page', new URL(page.url()).pathname, '/');
        t.eq('after «English»: <html lang="en">', await htmlLang(page), 'en');
        t.eq('after «English»: English navigation', await navLabels(page), ['Home', 'News']);
        t.check('after «English»: English headings',
            await page.getByRole('heading', { name: 'Library news' }).isVisible(), 'no «Library news»');
        t.check('after «English»: the a11y button in English',
            await page.getByRole('button', { name: 'Low-vision version' }).isVisible(), 'missing');
        t.check('after «English»: the title is English', (await page.title()).startsWith('Home'),
            await page.title());

        await page.goto(base + '/news');
        t.eq('remembered on /news: <html lang="en">', await htmlLang(page), 'en');
        t.eq('remembered on /news: the heading is «News»', await page.locator('main h1').innerText(), 'News');
        const item = page.locator('main article h2 a').first();
        await submit(page, item);
        t.eq('remembered on a news item', await htmlLang(page), 'en');
        t.check('a news item offers «Back to all news»',
            await page.getByRole('link', { name: 'Back to all news' }).isVisible(), 'missing');

        const ru = page.locator('header').getByRole('button', { name: /русский/i });
        t.eq('the switch back reads «Русский»', (await ru.innerText()).trim(), 'Русский');
        t.eq('the switch back is marked lang="ru"', await ru.getAttribute('lang'), 'ru');
        const path = new URL(page.url()).pathname;
        await submit(page, ru);
        t.eq('after «Русский»: back on the same page', new URL(page.url()).pathname, path);
        t.eq('after «Русский»: <html lang="ru">', await htmlLang(page), 'ru');
        t.eq('after «Русский»: Russian navigation', await navLabels(page), ['Главная', 'Новости']);
        await page.goto(base + '/');
        t.eq('Russian is remembered', await htmlLang(page), 'ru');
        await ctx.close();
    });

    await t.step('without JavaScript', async () => {
        const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, javaScriptEnabled: false });
        const page = await ctx.newPage();
        // Make sure scripts really do not run in this context.
        await page.setContent('<title>no</title><script>document.title = "yes"</script>');
        t.eq('no JS: scripts do not run in this browser context', await page.title(), 'no');
        await page.goto(base + '/');
        t.eq('no JS: Russian by default', await htmlLang(page), 'ru');
        await submit(page, page.locator('header').getByRole('button', { name: /English/ }));
        t.eq('no JS: «English» switches the language', await htmlLang(page), 'en');
        t.eq('no JS: English navigation', await navLabels(page), ['Home', 'News']);

        await submit(page, page.getByRole('button', { name: 'Low-vision version' }));
        t.check('no JS: the a11y version turns on', /\ba11y\b/.test(await htmlClass(page) || ''),
            `class="${await htmlClass(page)}"`);
        t.check('no JS: the panel appears (in English)',
            await page.getByRole('button', { name: 'White on black', exact: true }).isVisible(), 'no panel');
        await submit(page, page.getByRole('button', { name: 'White on black', exact: true }));
        t.eq('no JS: «White on black» gives white on black', await bodyColours(page),
            { color: 'rgb(255, 255, 255)', background: 'rgb(0, 0, 0)' });
        await submit(page, page.getByRole('button', { name: 'Largest' }));
        t.check('no JS: «Largest» applies', / a11y-s3\b/.test(await htmlClass(page) || ''),
            `class="${await htmlClass(page)}"`);
        await submit(page, page.getByRole('button', { name: 'Standard version' }));
        t.eq('no JS: «Standard version» turns it off', await htmlClass(page) || '', '');

        await submit(page, page.locator('header').getByRole('button', { name: /русский/i }));
        t.eq('no JS: «Русский» switches back', await htmlLang(page), 'ru');

        // The settings page: the same choices as radio buttons and one Save.
        await page.goto(base + '/prefs');
        await page.getByRole('radio', { name: 'English' }).check();
        await page.getByRole('radio', { name: 'Включить версию для слабовидящих' }).check();
        await page.getByRole('radio', { name: 'Тёмно-синим по голубому' }).check();
        await submit(page, page.getByRole('button', { name: 'Сохранить' }));
        t.eq('no JS, /prefs: Save applies the language', await htmlLang(page), 'en');
        t.eq('no JS, /prefs: Save applies the scheme', await bodyColours(page),
            { color: 'rgb(6, 52, 98)', background: 'rgb(157, 209, 255)' });
        t.check('no JS, /prefs: the page shows the saved choice',
            await page.getByRole('radio', { name: 'Dark blue on light blue' }).isChecked(), 'not checked');
        await ctx.close();
    });
});
