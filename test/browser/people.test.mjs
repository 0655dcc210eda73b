// ibc — the school's people in a real browser: the librarian signs in,
// opens class 5А, prints its login slips (the PDF download is read back
// with pdftotext), signs out; the student signs in with the slip's
// password, is made to change it and then sees their own page; a parent
// registers with the code from the slip and sees only that child (another
// family's child is refused). axe-core finds no serious or critical
// violation on /people, /classes/{id} and /register. Screenshots go to
// test/artifacts/people-*.png.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite, axe, shot, submit } from './lib.mjs';

const BAD = new Set(['serious', 'critical']);
const PW_RE = /[a-z]{3,4}-[2-9]{4}-[a-z]{3,4}/;
const CODE_RE = /[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/;

async function noBadAxe(t, page, name) {
    const violations = await axe(page);
    for (const v of violations) {
        t.note(`${name}: ${v.impact} ${v.id} — ${v.help}`);
    }
    const bad = violations.filter((v) => BAD.has(v.impact));
    t.check(`${name}: no serious or critical axe violation`, bad.length === 0,
        bad.map((v) => `${v.impact} ${v.id} (${v.nodes.map((n) => n.target).join('; ')})`).join(', '));
}

async function signIn(page, base, login, password) {
    await page.goto(base + '/signin');
    await page.fill('#login', login);
    await page.fill('#password', password);
    return submit(page, page.locator('main form button[type=submit]'));
}

await suite('people', async ({ t, base, browser }) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ibc-people-'));
    let slip = null;
    let studentId = null;
    let otherId = null;

    // ---- the librarian prints the slips of 5А ----
    await t.step('librarian prints the login slips', async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, acceptDownloads: true });
        const page = await ctx.newPage();
        await signIn(page, base, 'librarian', 'demo-librarian');
        const resp = await page.goto(base + '/people');
        t.eq('the librarian opens «Читатели»', resp.status(), 200);
        t.eq('the heading says «Читатели»', await page.locator('main h1').innerText(), 'Читатели');
        otherId = (await page.locator('main a', { hasText: 'Соколов Максим' }).getAttribute('href')).split('/')[2];
        await noBadAxe(t, page, '/people');
        await shot(page, 'people-list');

        await page.goto(base + '/classes');
        await submit(page, page.locator('main a', { hasText: '5А' }).first());
        t.check('the class page of 5А is open', /\/classes\/\d+$/.test(page.url()), page.url());
        studentId = (await page.locator('main a', { hasText: 'Иванов Артём' }).getAttribute('href')).split('/')[2];
        await noBadAxe(t, page, '/classes/{id}');
        await shot(page, 'people-class');

        await submit(page, page.locator('main a', { hasText: 'Листки входа' }));
        t.check('the slips page says what happens', (await page.locator('main').innerText()).includes('одноразовый пароль'));
        const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.locator('main form button[type=submit]').click(),
        ]);
        t.check('the download is named after the class', /5А\.pdf$/.test(download.suggestedFilename()), download.suggestedFilename());
        const file = path.join(tmp, 'slips.pdf');
        await download.saveAs(file);
        const text = execFileSync('pdftotext', ['-raw', file, '-']).toString();
        // the slip of "student": from its login line to the next slip
        const lines = text.split('\n');
        const at = lines.findIndex((l) => /^(Логин|Login)\s+student$/.test(l.trim()));
        t.check('the slips hold the login "student"', at >= 0, text.slice(0, 300));
        const rest = lines.slice(at, at + 8).join('\n');
        const pw = PW_RE.exec(rest);
        const code = CODE_RE.exec(rest);
        t.check('... with a one-time password and a parent code', pw && code, rest);
        slip = { password: pw && pw[0], code: code && code[0] };
        await submit(page, page.locator('form[action="/signout"] button'));
        t.check('the librarian signs out', (await page.locator('header').innerText()).includes('Войти'));
        await ctx.close();
    });

    // ---- the student signs in with the slip ----
    await t.step('student signs in with the slip and changes the password', async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await ctx.newPage();
        await signIn(page, base, 'student', slip.password);
        t.check('the student is made to change the password', new URL(page.url()).pathname === '/password', page.url());
        await shot(page, 'people-must-change');
        await page.goto(base + '/news');
        t.eq('other pages send back to /password', new URL(page.url()).pathname, '/password');
        await page.fill('input[name=current]', slip.password);
        await page.fill('input[name=new]', 'moy-parol-2026');
        await page.fill('input[name=repeat]', 'moy-parol-2026');
        await submit(page, page.locator('main form button[type=submit]'));
        t.check('the password is changed', new URL(page.url()).pathname === '/', page.url());
        const resp = await page.goto(`${base}/people/${studentId}`);
        t.eq('the student sees their own page', resp.status(), 200);
        t.check('... with their name', (await page.locator('main h1').innerText()).includes('Иванов Артём'));
        await shot(page, 'people-student-card');
        await ctx.close();
    });

    // ---- a parent registers with the code ----
    await t.step('parent registers with the code and sees only that child', async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
        const page = await ctx.newPage();
        await page.goto(base + '/register');
        await noBadAxe(t, page, '/register');
        await page.fill('#code', 'WRON-GCOD-E222');
        await page.fill('#last_name', 'Иванов');
        await page.fill('#first_name', 'Сергей');
        await page.fill('#login', 'papa');
        await page.fill('#password', 'papa-pass-2026');
        await page.fill('#repeat', 'papa-pass-2026');
        await submit(page, page.locator('main form button[type=submit]'));
        t.eq('a wrong code: the message is next to the field',
            await page.locator('#code-error').innerText(), 'Неверный код. Проверьте его по листку входа.');
        t.eq('... the code field is marked invalid', await page.locator('#code').getAttribute('aria-invalid'), 'true');
        t.eq('... the name is kept', await page.locator('#first_name').inputValue(), 'Сергей');
        await noBadAxe(t, page, '/register with errors');
        await shot(page, 'people-register-error');
        await page.fill('#code', slip.code.toLowerCase());
        await page.fill('#password', 'papa-pass-2026');
        await page.fill('#repeat', 'papa-pass-2026');
        await submit(page, page.locator('main form button[type=submit]'));
        t.eq('the parent lands on their children', new URL(page.url()).pathname, '/children');
        const kids = await page.locator('main ul li a').allInnerTexts();
        t.eq('exactly one child: the one of the slip', kids, ['Иванов Артём Сергеевич']);
        await shot(page, 'people-children');
        let resp = await page.goto(`${base}/people/${studentId}`);
        t.eq("the parent opens their child's card", resp.status(), 200);
        resp = await page.goto(`${base}/people/${otherId}`);
        t.check("another family's child is refused", [403, 404].includes(resp.status()), `status ${resp.status()}`);
        await ctx.close();
    });
    fs.rmSync(tmp, { recursive: true, force: true });
});
