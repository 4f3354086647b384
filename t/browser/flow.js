// Real-browser checks of the waiting page, driven by t/browser.t.
//
//   node flow.js '{"base":"http://127.0.0.1:P","phone":"http://127.0.0.1:S/phone",
//                  "users":{...},"shots":"/abs/t/tmp","chromium":"/usr/bin/chromium"}'
//
// Prints one JSON line per check: {"ok":true|false,"name":"...","diag":"..."}.
// Uses playwright-core with the system Chromium: it never downloads a browser.

'use strict';

const { chromium } = require('playwright-core');

const cfg = JSON.parse(process.argv[2]);

const FLAGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync',
];

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

function check(ok, name, diag) {
    const line = { ok: !!ok, name };
    if (!ok && diag !== undefined) {
        line.diag = String(diag);
    }
    process.stdout.write(JSON.stringify(line) + '\n');
    return !!ok;
}

// a browser context that sends the identity header, as a first factor would
async function context(browser, user, opts = {}) {
    const ctx = await browser.newContext({
        viewport: opts.viewport || PHONE,
        deviceScaleFactor: opts.scale || 1,
        javaScriptEnabled: opts.javaScript !== false,
        extraHTTPHeaders: { 'X-User': user },
    });
    ctx.setDefaultTimeout(15000);
    return ctx;
}

// collects CSP violations and script errors of a page
function watch(page) {
    const problems = [];
    page.on('console', (m) => {
        // failed loads are judged by their responses below
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) {
            problems.push(m.text());
        }
    });
    page.on('response', (r) => {
        if (r.status() >= 400 && !/\/favicon\.ico$/.test(r.url())) {
            problems.push(r.status() + ' ' + r.url());
        }
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    return problems;
}

// the sandbox phone page: press a button on the approval for the user
async function phone(browser, user, button) {
    const ctx = await browser.newContext({ viewport: PHONE });
    const page = await ctx.newPage();
    try {
        await page.goto(cfg.phone + '?identity=' + encodeURIComponent(user));
        const btn = page.getByRole('button', { name: button }).first();
        await btn.waitFor({ timeout: 10000 });
        const text = await page.locator('body').innerText();
        await btn.click();
        await page.waitForLoadState();
        return text;
    } finally {
        await ctx.close();
    }
}

async function onWaitingPage(page, what) {
    const url = new URL(page.url());
    return check(url.pathname === '/_push/wait' && url.searchParams.get('t'),
                 what + ': on the waiting page', page.url());
}

async function approve(browser) {
    const user = cfg.users.approve;
    const ctx = await context(browser, user);
    const page = await ctx.newPage();
    const problems = watch(page);

    await page.goto(cfg.base + '/p/index.html?from=browser');
    await onWaitingPage(page, 'approve');

    const h1 = await page.locator('h1').innerText();
    check(/approve on your phone/i.test(h1), 'approve: heading', h1);
    check(await page.locator('.msg').isVisible(), 'approve: message shown');
    const left1 = Number(await page.locator('#left').innerText());
    await page.waitForTimeout(2200);
    const left2 = Number(await page.locator('#left').innerText());
    check(left2 < left1 && left2 > 0, 'approve: countdown runs',
          left1 + ' -> ' + left2);
    check(!(await page.locator('#again').isVisible()),
          'approve: no "Try again" while pending');

    // phone-sized and desktop screenshots of the waiting page
    await page.screenshot({ path: cfg.shots + '/waiting-page.png',
                            fullPage: true });
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: cfg.shots + '/waiting-page-desktop.png' });
    await page.setViewportSize(PHONE);

    // no horizontal scrolling on a phone
    const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, 'approve: fits a phone screen', overflow);

    const t0 = Date.now();
    const phoneText = await phone(browser, user, 'Approve');
    check(/approve access to/i.test(phoneText), 'approve: phone shows it',
          phoneText.slice(0, 200));

    await page.waitForURL((u) => u.pathname === '/p/index.html',
                          { timeout: 10000 });
    const dt = Date.now() - t0;
    check(dt < 5000, 'approve: page went on promptly (' + dt + ' ms)', dt);
    check(new URL(page.url()).search === '?from=browser',
          'approve: back to the original URL', page.url());
    const body = await page.locator('body').innerText();
    check(/SECRET CONTENT/.test(body), 'approve: original content', body);

    const cookies = await ctx.cookies();
    const remember = cookies.find((c) => c.name === 'push_approval');
    check(remember && remember.httpOnly && remember.path === '/'
          && remember.sameSite === 'Lax',
          'approve: remember cookie (HttpOnly, Path=/, Lax)',
          JSON.stringify(cookies));

    // remembered: the next visit goes straight through
    const again = await ctx.newPage();
    const resp = await again.goto(cfg.base + '/p/index.html');
    check(resp.status() === 200 && new URL(again.url()).pathname
          === '/p/index.html', 'approve: remembered on the next visit',
          again.url());

    check(problems.length === 0, 'approve: no CSP or script errors',
          problems.join(' | '));
    await ctx.close();
}

async function deny(browser) {
    const user = cfg.users.deny;
    const ctx = await context(browser, user);
    const page = await ctx.newPage();
    const problems = watch(page);

    await page.goto(cfg.base + '/p/index.html');
    await onWaitingPage(page, 'deny');
    await phone(browser, user, 'Deny');

    const again = page.locator('#again');
    try {
        await again.waitFor({ state: 'visible', timeout: 10000 });
    } catch (e) {
        // reported below
    }
    check(await again.isVisible(), 'deny: "Try again" link shown');
    check(/try again/i.test(await again.innerText()), 'deny: link text');
    check(await again.getAttribute('href') === '/p/index.html',
          'deny: link to the original URL', await again.getAttribute('href'));
    const text = await page.locator('#text').innerText();
    check(/denied/i.test(text), 'deny: says denied', text);
    const head = await page.locator('h1').innerText();
    check(/request denied/i.test(head), 'deny: heading', head);
    check(!(await page.locator('#left').isVisible()),
          'deny: countdown hidden');
    await page.screenshot({ path: cfg.shots + '/denied-page.png' });
    check(problems.length === 0, 'deny: no CSP or script errors',
          problems.join(' | '));
    await ctx.close();
}

async function expire(browser) {
    const user = cfg.users.expire;
    const ctx = await context(browser, user);
    const page = await ctx.newPage();

    await page.goto(cfg.base + '/short/index.html');
    await onWaitingPage(page, 'expire');
    try {
        await page.locator('#again').waitFor({ state: 'visible',
                                               timeout: 15000 });
    } catch (e) {
        // reported below
    }
    const text = await page.locator('#text').innerText();
    check(/not answered in time/i.test(text), 'expire: expired state', text);
    check(/request expired/i.test(await page.title()), 'expire: title');
    check(await page.locator('#again').isVisible(),
          'expire: "Try again" link shown');
    await ctx.close();
}

async function noScript(browser) {
    const user = cfg.users.noscript;
    const ctx = await context(browser, user, { javaScript: false });
    const page = await ctx.newPage();

    await page.goto(cfg.base + '/p/index.html?nojs=1');
    await onWaitingPage(page, 'no JavaScript');
    await phone(browser, user, 'Approve');

    let ok = true;
    try {
        await page.waitForURL((u) => u.pathname === '/p/index.html',
                              { timeout: 15000 });
    } catch (e) {
        ok = false;
    }
    check(ok, 'no JavaScript: meta refresh goes on after approval',
          page.url());
    const body = await page.locator('body').innerText();
    check(/SECRET CONTENT/.test(body), 'no JavaScript: original content',
          body);
    await ctx.close();
}

async function code(browser) {
    const user = cfg.users.code;
    const ctx = await context(browser, user);
    const page = await ctx.newPage();

    await page.goto(cfg.base + '/c/index.html');
    await onWaitingPage(page, 'code');
    const shown = (await page.locator('.code').innerText()).trim();
    check(/^[1-9][0-9]$/.test(shown), 'code: two digits shown', shown);
    await page.screenshot({ path: cfg.shots + '/waiting-page-code.png' });
    const phoneText = await phone(browser, user, 'Approve');
    check(new RegExp('Code\\W+' + shown + '\\b').test(phoneText),
          'code: the phone shows the same code', phoneText.slice(0, 300));
    await page.waitForURL((u) => u.pathname === '/c/index.html',
                          { timeout: 10000 }).catch(() => {});
    check(/SECRET CONTENT/.test(await page.locator('body').innerText()),
          'code: original content');
    await ctx.close();
}

// the phone page shows a new approval without reloading (a reload could
// swallow a tap), and its Approve button works
async function phoneLive(browser) {
    const user = cfg.users.live;
    const pctx = await browser.newContext({ viewport: PHONE });
    const phonePage = await pctx.newPage();
    await phonePage.goto(cfg.phone + '?identity=' + encodeURIComponent(user));
    await phonePage.evaluate(() => { window.__notReloaded = 1; });

    const ctx = await context(browser, user);
    const page = await ctx.newPage();
    await page.goto(cfg.base + '/p/index.html?from=live');
    await onWaitingPage(page, 'phone live');

    const btn = phonePage.getByRole('button', { name: 'Approve' }).first();
    const shown = await btn.waitFor({ timeout: 8000 }).then(() => true,
                                                           () => false);
    check(shown, 'phone live: the new approval appears by itself');
    check(await phonePage.evaluate(() => window.__notReloaded === 1),
          'phone live: without a page reload');
    const left1 = await phonePage.locator('.left').first().innerText();
    await phonePage.waitForTimeout(1500);
    const left2 = await phonePage.locator('.left').first().innerText();
    check(left1 !== left2, 'phone live: the time left counts down',
          left1 + ' / ' + left2);
    if (shown) {
        await btn.click();
        await phonePage.waitForLoadState();
    }
    await page.waitForURL((u) => u.pathname === '/p/index.html',
                          { timeout: 10000 }).catch(() => {});
    check(/SECRET CONTENT/.test(await page.locator('body').innerText()),
          'phone live: approved from the updated page');
    await ctx.close();
    await pctx.close();
}

(async () => {
    const browser = await chromium.launch({
        executablePath: cfg.chromium,
        headless: true,
        args: FLAGS,
        env: { ...process.env, HOME: cfg.home || process.env.HOME },
    });

    const only = cfg.only ? cfg.only.split(',') : null;
    const all = { approve, deny, expire, noScript, code, phoneLive };

    try {
        for (const name of Object.keys(all)) {
            if (only && !only.includes(name)) {
                continue;
            }
            try {
                await all[name](browser);
            } catch (e) {
                check(false, name + ': finished', e.stack || e);
            }
        }
    } finally {
        await browser.close();
    }
})().catch((e) => {
    check(false, 'browser started', e.stack || e);
    process.exitCode = 1;
});
