/*
 * The JSON parser and text builder of json.c, shared by the mock
 * computecore.dll and the mock vmcompute.dll (internal/winetest/layermock).
 */
#ifndef HCSMOCK_JSON_H
#define HCSMOCK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h> /* __MINGW_PRINTF_FORMAT */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype t;
	bool b;
	double n;
	char *s;            /* J_STR: unescaped UTF-8 */
	char *key;          /* member name when inside an object */
	struct jval *kids;  /* J_ARR / J_OBJ children, in order */
	struct jval *next;  /* next sibling */
};

struct jval *json_parse(const char *text); /* NULL when malformed */
void json_free(struct jval *v);
const struct jval *json_get(const struct jval *obj, const char *key);
const char *json_str(const struct jval *v); /* NULL unless a string */
bool json_valid(const char *text);
/* Whether a (possibly absent) string array filter admits s. */
bool json_filter(const struct jval *arr, const char *s);
/* The value of the hexadecimal digit c, or -1. */
int json_hexval(char c);

struct sb {
	char *p;
	size_t len, cap;
	bool oom;
};
void sb_add(struct sb *b, const char *s);
void sb_addf(struct sb *b, const char *fmt, ...)
	__attribute__((format(__MINGW_PRINTF_FORMAT, 2, 3)));
void sb_str(struct sb *b, const char *s); /* as a quoted JSON string */
char *sb_take(struct sb *b);              /* malloc'd text, NULL if OOM */

#endif
