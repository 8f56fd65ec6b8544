// ncursesw for Swift. SwiftPM drops the -D_XOPEN_SOURCE=600 that pkg-config supplies, and without
// these two defines a clean build cannot see cchar_t and the wide-character API.
#ifndef OCORE_CNCURSESW_SHIM_H
#define OCORE_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <langinfo.h>
#include <ncursesw/curses.h>

// Function-like macros and C mutable globals that Swift cannot import or (in Swift 6) touch.
static inline int ocore_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline attr_t ocore_a_normal(void) { return A_NORMAL; }
static inline attr_t ocore_a_bold(void) { return A_BOLD; }
static inline attr_t ocore_a_dim(void) { return A_DIM; }
static inline attr_t ocore_a_reverse(void) { return A_REVERSE; }
static inline attr_t ocore_a_underline(void) { return A_UNDERLINE; }
static inline void ocore_getmaxyx(WINDOW *w, int *rows, int *cols) { getmaxyx(w, *rows, *cols); }
static inline int ocore_colors(void) { return COLORS; }
static inline int ocore_key_resize(void) { return KEY_RESIZE; }
static inline int ocore_err(void) { return ERR; }

static inline int ocore_key_mouse(void) { return KEY_MOUSE; }
/// Clicks and the wheel only; no motion reports (they cost bytes over SSH).
static inline void ocore_enable_mouse(void) {
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
}
/// Reads the pending mouse event: 1 click, 2 wheel up, 3 wheel down, 0 other; -1 if none.
static inline int ocore_get_mouse(int *x, int *y) {
    MEVENT e;
    if (getmouse(&e) != OK) return -1;
    *x = e.x; *y = e.y;
    if (e.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) return 1;
    if (e.bstate & BUTTON4_PRESSED) return 2;
    if (e.bstate & BUTTON5_PRESSED) return 3;
    return 0;
}

/// Draws a run of wide characters with one attribute and colour pair at (y, x).
static inline int ocore_draw_run(WINDOW *w, int y, int x, const wchar_t *text, int n, attr_t attr, short pair) {
    wattr_set(w, attr, pair, NULL);
    return mvwaddnwstr(w, y, x, text, n);
}
#endif
