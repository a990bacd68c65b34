/* The page: one HTML file with its script (src/serve/page/index.html),
 * compiled in by embed_page.sh, served from memory. */
#include "serve/serve_api.h"

extern const char serve_page_html[];
extern const size_t serve_page_html_size;

void serve_page(serve_reply *reply)
{
    *reply = (serve_reply){.status = 200, .content_type = "text/html; charset=utf-8",
                           .body = (void *)serve_page_html, .size = serve_page_html_size, .body_static = true};
}
