/* The HTML of `vkcalib report`: one self-contained, deterministic document
 * from the model of report_model.c. This file owns the document itself
 * (head, CSS, the sorting script, a section per tensor); the plots and
 * tables it holds are in the files of report_parts.h. See report_html.h. */
#include "report_parts.h"

static const char kCss[] =
    ":root{--fg:#1a1a1a;--muted:#4a4a4a;--line:#c8c8c8;--bg:#fff;--head:#f2f4f7}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0 auto;max-width:1400px;padding:1rem 1.25rem 3rem;font:15px/1.45 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"DejaVu Sans\",sans-serif;color:var(--fg);background:var(--bg)}\n"
    "h1{font-size:1.6rem;margin:.4rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .4rem;overflow-wrap:anywhere}\n"
    ".meta,.facts,.note{color:var(--muted)}\n"
    "a{color:#0645ad}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.86rem}\n"
    "th,td{border:1px solid var(--line);padding:.2rem .4rem;text-align:right;white-space:nowrap}\n"
    "thead th{background:var(--head);text-align:center;white-space:normal}\n"
    "tbody th{text-align:left;font-weight:normal;white-space:normal;overflow-wrap:anywhere;min-width:9rem}\n"
    "td.na{color:var(--muted)}\n"
    "#summary-table{font-size:.8rem}#summary-table th,#summary-table td{padding:.15rem .3rem}\n"
    "#summary-table tbody th{min-width:7rem;max-width:16rem}\n"
    "td.best,b.best{font-weight:700;background:#e3f3e6}\n"
    "tr.flagged th{box-shadow:inset 4px 0 #b91c1c}td.flags{color:#b91c1c;text-align:left;white-space:normal}\n"
    "th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer}\n"
    "th button:focus-visible{outline:2px solid #0645ad;outline-offset:2px}\n"
    "th[aria-sort=ascending] button::after{content:\" \\25B2\"}\n"
    "th[aria-sort=descending] button::after{content:\" \\25BC\"}\n"
    "caption{text-align:left;font-weight:600;padding:.3rem 0}\n"
    "figure{margin:.6rem 0}figcaption{font-size:.85rem;color:var(--muted)}\n"
    "svg.plot{display:block;width:100%;max-width:900px;height:auto;font:11px system-ui,\"DejaVu Sans\",sans-serif}\n"
    "svg text{fill:#1a1a1a}svg .atitle{fill:#4a4a4a}\n"
    "svg .grid path{stroke:#e3e3e3;fill:none}svg .grid text{fill:#4a4a4a}\n"
    "svg .axis path{stroke:#4a4a4a;fill:none}svg .axis text{text-anchor:middle}svg .axis text.s{text-anchor:start}"
    "svg .axis text.e{text-anchor:end}svg .grid text{text-anchor:end}\n"
    "svg .bars{fill:#b9c6d6;stroke:#3d5a80;stroke-width:1}\n"
    "svg rect.clip{fill:#fbe3e3}\n"
    "svg .thr line{stroke-width:2}\n"

    ".m-entropy{--c:#1d4ed8}.m-percentile{--c:#a14a00}.m-mse{--c:#7e22ce}.m-max{--c:#b91c1c}"
    ".m-entropy-u8{--c:#047857}\n"
    "svg .thr line{stroke:var(--c)}svg .thr text{fill:var(--c);font-weight:600}\n"
    "svg .m-percentile line{stroke-dasharray:7 3}svg .m-mse line{stroke-dasharray:2 2}"
    "svg .m-max line{stroke-dasharray:9 3 2 3}svg .m-entropy-u8 line{stroke-dasharray:4 4}\n"
    "svg .curve{fill:none;stroke:#1d4ed8;stroke-width:1.6}svg .curve.alt{stroke:#047857;stroke-dasharray:5 3}\n"
    "svg .min line{stroke:#1d4ed8;stroke-dasharray:3 3}svg .min circle{fill:#1d4ed8}"
    "svg .min text{fill:#1d4ed8;font-weight:600}\n"
    "svg .min.alt line{stroke:#047857}svg .min.alt circle{fill:#047857}svg .min.alt text{fill:#047857}\n"
    ".key{display:inline-block;width:1.4em;height:0;border-top:2px solid var(--c);vertical-align:middle;"
    "margin-right:.25em}\n"
    ".key.m-percentile{border-top-style:dashed}.key.m-mse{border-top-style:dotted}.key.m-max{border-top-style:dashed}"
    ".key.m-entropy-u8{border-top-style:dashed}\n"
    "section.tensor{border-top:1px solid var(--line);margin-top:1.2rem}\n"
    ".plots{display:block}\n"
    "@media screen{section.tensor{content-visibility:auto;contain-intrinsic-size:auto 1000px}}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}a{color:inherit;text-decoration:none}"
    ".scroll{overflow:visible}section.tensor{break-before:auto;break-inside:avoid-page}"
    "figure{break-inside:avoid}th button::after{content:none!important}table{font-size:8pt}"
    "thead{display:table-header-group}tr{break-inside:avoid}}\n";

static const char kScript[] =
    "(function(){\"use strict\";\n"
    "var table=document.getElementById(\"summary-table\");if(!table)return;\n"
    "var body=table.tBodies[0],heads=table.querySelectorAll(\"th[data-key]\");\n"
    "function val(row,col,num){var v=row.cells[col].getAttribute(\"data-v\");"
    "return num?(v===\"\"?NaN:parseFloat(v)):v;}\n"
    "function sortBy(th,dir){var col=+th.getAttribute(\"data-col\"),num=th.getAttribute(\"data-type\")===\"num\";\n"
    "var rows=Array.prototype.slice.call(body.rows);\n"
    "rows.sort(function(a,b){var x=val(a,col,num),y=val(b,col,num);\n"
    "if(num){var xa=isNaN(x),ya=isNaN(y);if(xa||ya)return xa-ya;return x===y?0:dir*(x<y?-1:1);}\n"
    "return dir*(x<y?-1:x>y?1:0);});\n"
    "rows.forEach(function(r){body.appendChild(r);});\n"
    "for(var k=0;k<heads.length;k++)heads[k].setAttribute(\"aria-sort\",\"none\");\n"
    "th.setAttribute(\"aria-sort\",dir>0?\"ascending\":\"descending\");\n"
    "table.setAttribute(\"data-sorted\",(dir>0?\"\":\"-\")+th.getAttribute(\"data-key\"));}\n"
    "Array.prototype.forEach.call(heads,function(th){th.querySelector(\"button\").addEventListener(\"click\","
    "function(){\n"
    "var dir=th.getAttribute(\"aria-sort\")===\"ascending\"?-1:1;sortBy(th,dir);\n"
    "try{history.replaceState(null,\"\",\"#sort=\"+(dir<0?\"-\":\"\")+th.getAttribute(\"data-key\"));}catch(e){}"
    "});});\n"
    "var sc=table.parentNode;table.setAttribute(\"data-fits\",sc.scrollWidth<=sc.clientWidth+1?\"1\":\"0\");\n"
    "var m=/^#sort=(-?)([a-z0-9-]+)$/.exec(location.hash);\n"
    "if(m){var th=table.querySelector('th[data-key=\"'+m[2]+'\"]');"
    "if(th){var b=th.querySelector(\"button\");b.click();if(m[1])b.click();}}\n"
    "})();\n";

void rv_html(const rv_set *s, cli_buf *b)
{
    char tmp[64];
    cli_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<meta name=\"generator\" content=\"vkcalib " VKC_VERSION_STRING "\">\n");
    cli_buf_printf(b, "<title>vkcalib calibration report: %u tensor%s</title>\n<style>\n", s->n, s->n == 1 ? "" : "s");
    cli_buf_puts(b, kCss);
    /* Only with --flavors: a report without them is byte for byte as before. */
    if (s->ntools)
        cli_buf_puts(b, "svg .tool circle{fill:#0f766e}svg .tool circle.lo{fill:#fff;stroke:#0f766e;stroke-width:1.5}"
                        "svg .tool text{fill:#0f766e}svg .tool text.na{fill:#4a4a4a}\n");
    cli_buf_puts(b, "</style>\n</head>\n<body>\n<header>\n<h1>vkcalib calibration report</h1>\n");
    cli_buf_printf(b, "<p class=\"meta\">%u tensor%s \xc2\xb7 %u bins \xc2\xb7 flavor %s \xc2\xb7 start bin %u \xc2\xb7 "
                      "percentile %s \xc2\xb7 ",
                   s->n, s->n == 1 ? "" : "s", s->bins, vkc_flavor_name(s->sp.flavor), s->sp.start_bin,
                   rv_num6(s->sp.percentile, tmp, sizeof tmp));
    cli_buf_puts(b, s->quality == RV_Q_MEASURED    ? "SQNR measured on the values"
                    : s->quality == RV_Q_ESTIMATED ? "SQNR estimated from the histograms (JSON input)"
                                                   : "SQNR not measured");
    cli_buf_puts(b, "</p>\n</header>\n<main>\n");
    rv_put_summary(b, s);
    for (uint32_t k = 0; k < s->n; k++) {
        const rv_tensor *t = &s->t[k];
        uint64_t el = t->st.count + t->st.nan + t->st.pos_inf + t->st.neg_inf;
        cli_buf_printf(b, "<section class=\"tensor\" id=\"t-%u\" aria-labelledby=\"t-%u-h\" data-name=\"", k, k);
        rv_put_esc(b, t->name);
        cli_buf_printf(b, "\">\n<h2 id=\"t-%u-h\">", k);
        rv_put_esc(b, t->name);
        cli_buf_printf(b, "</h2>\n<p class=\"facts\">%llu elements \xc2\xb7 min %s", (unsigned long long)el,
                       rv_num6(t->st.min, tmp, sizeof tmp));
        cli_buf_printf(b, " \xc2\xb7 max %s", rv_num6(t->st.max, tmp, sizeof tmp));
        cli_buf_printf(b, " \xc2\xb7 absmax %s", rv_num6(t->st.absmax, tmp, sizeof tmp));
        cli_buf_printf(b, " \xc2\xb7 zeros %llu (%.1f%%)", (unsigned long long)t->st.zeros,
                       t->st.count ? 100.0 * (double)t->st.zeros / (double)t->st.count : 0.0);
        if (t->st.nan + t->st.pos_inf + t->st.neg_inf)
            cli_buf_printf(b, " \xc2\xb7 excluded %llu NaN, %llu +Inf, %llu \xe2\x88\x92Inf",
                           (unsigned long long)t->st.nan, (unsigned long long)t->st.pos_inf,
                           (unsigned long long)t->st.neg_inf);
        cli_buf_printf(b, " \xc2\xb7 bin width %s", rv_num6((double)t->st.absmax / t->bins, tmp, sizeof tmp));
        cli_buf_puts(b, " \xc2\xb7 <a href=\"#summary\">back to the summary</a></p>\n<div class=\"plots\">\n");
        if (t->hist) {
            rv_put_hist_svg(b, s, t, k);
            if (s->ntools) rv_put_tools_svg(b, s, t, k);
            rv_put_kl_svg(b, s, t, k);
        }
        if (t->shist && (!rv_nonneg(t) || !t->hist)) rv_put_signed_svg(b, s, t, k);
        cli_buf_puts(b, "</div>\n");
        rv_put_compare(b, s, t, k);
        if (s->ntools) rv_put_tools_table(b, s, t);
        cli_buf_puts(b, "</section>\n");
    }
    cli_buf_puts(b, "</main>\n<script>\n");
    cli_buf_puts(b, kScript);
    cli_buf_puts(b, "</script>\n</body>\n</html>\n");
}
