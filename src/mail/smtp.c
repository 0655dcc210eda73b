/* ibc — one SMTP submission through libcurl (see outbox_smtp_send in
 * outbox.h).
 *
 * libcurl does the protocol: EHLO, STARTTLS when offered (or required),
 * AUTH, MAIL FROM, RCPT TO, DATA with dot-stuffing and the final ".". We
 * feed it the finished message and sort its outcome into temporary
 * (IBC_EUNAVAIL, retry later) and permanent (IBC_EINVAL, give up) failures
 * by the server's last reply code. One connection per message: simple, and
 * a school's notices are few. */
#include "mail/outbox.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

/* The message being uploaded. */
struct upload {
    const char *p;
    size_t left;
};

/* CURLOPT_READFUNCTION: hands libcurl the next piece of the message. */
static size_t upload_read(char *dst, size_t size, size_t nitems, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nitems;
    if (n > u->left) {
        n = u->left;
    }
    memcpy(dst, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

int outbox_smtp_send(const struct outbox_config *cfg, const char *to,
                     const char *msg, size_t len, int *smtp_code, bool *reached,
                     struct ibc_error *err)
{
    if (smtp_code) {
        *smtp_code = 0;
    }
    if (reached) {
        *reached = false;
    }
    if (!cfg->smtp_url || !cfg->mail_from || !to) {
        return ibc_fail(err, IBC_EINVAL, "SMTP: no server or no sender set");
    }
    /* curl_easy_init() runs curl_global_init() the first time; with
     * libcurl >= 7.84 that is thread-safe. */
    CURL *c = curl_easy_init();
    if (!c) {
        return ibc_fail(err, IBC_EUNAVAIL, "SMTP: libcurl did not start");
    }
    char from[300], rcpt_addr[300];
    snprintf(from, sizeof(from), "<%s>", cfg->mail_from);
    snprintf(rcpt_addr, sizeof(rcpt_addr), "<%s>", to);
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_addr);
    struct upload up = {msg, len};
    char errbuf[CURL_ERROR_SIZE] = "";
    long timeout = cfg->timeout_s > 0 ? cfg->timeout_s : 60;

    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* we are threaded */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 20 ? timeout : 20L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     cfg->require_tls ? (long)CURLUSESSL_ALL
                                      : (long)CURLUSESSL_TRY);
    if (cfg->username && *cfg->username) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->username);
        curl_easy_setopt(c, CURLOPT_PASSWORD,
                         cfg->password ? cfg->password : "");
    }

    CURLcode res = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);

    if (smtp_code) {
        *smtp_code = (int)code;
    }
    bool connected =
        !(res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST ||
          res == CURLE_COULDNT_RESOLVE_PROXY ||
          (res == CURLE_OPERATION_TIMEDOUT && code == 0));
    if (reached) {
        *reached = connected;
    }
    if (res == CURLE_OK) {
        return 0;
    }
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(res);
    bool permanent = code >= 500 || res == CURLE_URL_MALFORMAT ||
                     res == CURLE_UNSUPPORTED_PROTOCOL ||
                     res == CURLE_LOGIN_DENIED;
    if (code > 0) {
        return ibc_fail(err, permanent ? IBC_EINVAL : IBC_EUNAVAIL,
                        "SMTP %ld: %s", code, why);
    }
    return ibc_fail(err, permanent ? IBC_EINVAL : IBC_EUNAVAIL, "SMTP: %s",
                    why);
}
