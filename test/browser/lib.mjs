// ibc — shared helpers of the browser tests (test/browser/*.test.mjs).
//
// Each test file calls suite(name, async (ctx) => {...}): it starts
// `ibc serve --demo` on a free loopback port with a fresh data folder,
// launches Debian's Chromium through playwright-core, runs the body, then
// closes the browser, stops the server with SIGTERM (and checks that it
// exits 0) and prints "N passed, N failed" (test/run.sh adds these up).
// Any failure makes the process exit with status 1.
//
// Checks print "ok NAME" or "FAIL NAME: why". Screenshots go to
// test/artifacts/ (gitignored) for a person to look at.
//
// Environment: IBC_BIN — the server binary (default build/ibc; a relative
// path is taken from the repository root); IBC_BROWSER_SLOWMO — milliseconds
// between browser actions, for watching a run.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
export const AXE_PATH = path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const IBC_BIN = path.resolve(ROOT, process.env.IBC_BIN || 'build/ibc');

// The whole file must finish well within the suite's budget.
const FILE_TIMEOUT_MS = 60000;

// ---- check / report ----------------------------------------------------

export class Report {
    constructor(name) {
        this.name = name;
        this.passed = 0;
        this.failed = 0;
    }

    ok(name) {
        this.passed++;
        console.log(`ok ${name}`);
    }

    fail(name, why) {
        this.failed++;
        console.log(`FAIL ${name}: ${why}`);
    }

    // Records one check; returns cond so callers can skip dependent checks.
    check(name, cond, why = '') {
        if (cond) {
            this.ok(name);
        } else {
            this.fail(name, typeof why === 'function' ? why() : why || 'false');
        }
        return !!cond;
    }

    // Checks a == b (compared as JSON), saying both values on failure.
    eq(name, got, want) {
        const g = JSON.stringify(got);
        const w = JSON.stringify(want);
        return this.check(name, g === w, `got ${g}, want ${w}`);
    }

    // Runs one group of steps; an exception (a timeout, a missing element)
    // becomes one failure named after the group, and the file goes on.
    async step(name, fn) {
        try {
            return await fn();
        } catch (e) {
            const msg = String(e && e.message ? e.message : e).split('\n').slice(0, 6).join('\n    ');
            this.fail(name, `exception: ${msg}`);
            return undefined;
        }
    }

    note(text) {
        console.log(`# ${text}`);
    }

    summary() {
        console.log(`${this.passed} passed, ${this.failed} failed`);
    }
}

// ---- the server --------------------------------------------------------

// Starts `ibc serve --demo` on port 0 with a fresh data folder; resolves to
// { base, proc, dir, log() } once it prints "ibc <version> serving URL".
export function startServer() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibc-browser-'));
    fs.chmodSync(dir, 0o755); // reachable by the user a root-started server drops to
    const proc = spawn(IBC_BIN, ['serve', '--data', dir, '--port', '0', '--demo', '--quiet'], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const log = () => out;
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            proc.kill('SIGKILL');
            reject(new Error(`no "serving" line within 10 s; output:\n${out}`));
        }, 10000);
        const onData = (chunk) => {
            out += chunk.toString();
            const m = /^ibc \S+ serving (http:\/\/127\.0\.0\.1:\d+)\/?/m.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ base: m[1], proc, dir, log });
            }
        };
        proc.stdout.on('data', onData);
        proc.stderr.on('data', (c) => { out += c.toString(); });
        proc.on('error', (e) => {
            clearTimeout(timer);
            reject(new Error(`cannot run ${IBC_BIN}: ${e.message}`));
        });
        proc.on('exit', (code, sig) => {
            clearTimeout(timer);
            reject(new Error(`server exited early (code ${code}, signal ${sig}); output:\n${out}`));
        });
    });
}

// Sends SIGTERM and waits; resolves to { code, signal } (signal 'timeout'
// when it did not stop within 10 s and had to be killed).
export function stopServer(server) {
    const { proc } = server;
    return new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
            resolve({ code: proc.exitCode, signal: proc.signalCode });
            return;
        }
        const timer = setTimeout(() => {
            proc.kill('SIGKILL');
            resolve({ code: null, signal: 'timeout' });
        }, 10000);
        proc.removeAllListeners('exit');
        proc.once('exit', (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal });
        });
        proc.kill('SIGTERM');
    });
}

// ---- the browser -------------------------------------------------------

export const CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-quic',
];

// Debian's Chromium, headless; playwright gives it a fresh temporary
// profile (user-data-dir) and removes it on close.
export function launchBrowser() {
    return chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: CHROMIUM_ARGS,
        slowMo: Number(process.env.IBC_BROWSER_SLOWMO || 0),
    });
}

// ---- page helpers ------------------------------------------------------

// Clicks something that submits a form (or follows a link) and waits until
// the page it leads to has loaded. Returns the main frame's navigation
// responses in order (for a form: the POST's 303, then the page's 200).
export function submit(page, locator) {
    return navigate(page, () => locator.click());
}

// Same, with a key press (Enter or Space) on the focused element.
export function submitKey(page, key) {
    return navigate(page, () => page.keyboard.press(key));
}

async function navigate(page, act) {
    const responses = [];
    const onResponse = (r) => {
        if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
            responses.push(r);
        }
    };
    page.on('response', onResponse);
    try {
        const nav = page.waitForEvent('framenavigated', {
            predicate: (f) => f === page.mainFrame(),
            timeout: 10000,
        });
        nav.catch(() => {}); // when act() throws, nobody awaits nav
        await act();
        await nav;
        await page.waitForLoadState('load');
    } finally {
        page.off('response', onResponse);
    }
    return responses;
}

// { scrollWidth, clientWidth } of the document: a page scrolls sideways
// when the first is larger.
export function hScroll(page) {
    return page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
    }));
}

// The elements that stick out to the right of the viewport (for a readable
// failure message when a page scrolls sideways).
export function overflowing(page) {
    return page.evaluate(() => {
        const w = document.documentElement.clientWidth;
        const out = [];
        for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.right > w + 0.5 && r.width > 0) {
                const id = el.tagName.toLowerCase() +
                    (el.id ? '#' + el.id : '') +
                    (el.className && typeof el.className === 'string'
                        ? '.' + el.className.trim().split(/\s+/).join('.') : '');
                out.push(`${id} (right ${Math.round(r.right)})`);
            }
        }
        return out.slice(0, 8);
    });
}

export const rootFontSize = (page) =>
    page.evaluate(() => getComputedStyle(document.documentElement).fontSize);

export const bodyColours = (page) =>
    page.evaluate(() => {
        const s = getComputedStyle(document.body);
        return { color: s.color, background: s.backgroundColor };
    });

export const htmlClass = (page) => page.locator('html').getAttribute('class');
export const htmlLang = (page) => page.locator('html').getAttribute('lang');

// Saves a full-page screenshot as test/artifacts/NAME.png.
export async function shot(page, name, opts = {}) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, ...opts });
}

// Runs axe-core in the page (needs a context with bypassCSP: the script
// is injected inline). Returns the list of violations.
export async function axe(page) {
    await page.addScriptTag({ path: AXE_PATH });
    return page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.map((n) => ({
                target: n.target.join(' '),
                summary: (n.failureSummary || '').replace(/\s+/g, ' ').trim(),
            })),
        }));
    });
}

// ---- the suite ---------------------------------------------------------

// Starts a server and a browser, runs body({ t, base, browser, server }),
// then tears everything down, prints the summary and sets the exit status.
export async function suite(name, body) {
    const t = new Report(name);
    let server = null;
    let browser = null;
    const watchdog = setTimeout(() => {
        t.fail(name, `did not finish within ${FILE_TIMEOUT_MS / 1000} s`);
        if (server) {
            server.proc.kill('SIGKILL');
        }
        t.summary();
        process.exit(1);
    }, FILE_TIMEOUT_MS);
    watchdog.unref();
    try {
        server = await startServer();
        t.note(`${name}: server at ${server.base}`);
        browser = await launchBrowser();
        // Fail fast: a missing element should cost seconds, not the
        // default 30 s, so a broken page still ends within the budget.
        const newContext = browser.newContext.bind(browser);
        browser.newContext = async (opts) => {
            const c = await newContext(opts);
            c.setDefaultTimeout(5000);
            c.setDefaultNavigationTimeout(10000);
            return c;
        };
        await body({ t, base: server.base, browser, server });
    } catch (e) {
        t.fail(name, String(e && e.stack ? e.stack : e));
    } finally {
        if (browser) {
            await browser.close().catch(() => {});
        }
        if (server) {
            const { code, signal } = await stopServer(server);
            t.check('server exits 0 on SIGTERM', code === 0 && signal === null,
                `code ${code}, signal ${signal}; output:\n${server.log()}`);
            if (t.failed) {
                t.note(`server output:\n${server.log().trimEnd()}`);
            }
            fs.rmSync(server.dir, { recursive: true, force: true });
        }
        clearTimeout(watchdog);
    }
    t.summary();
    process.exitCode = t.failed ? 1 : 0;
}
