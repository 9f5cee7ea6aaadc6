/*
 * A small, strict JSON parser (RFC 8259) and a builder for the documents the
 * mock returns. Input is UTF-8 (converted from the caller's UTF-16); the tree
 * keeps strings unescaped so members can be compared directly.
 */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 128

struct parser {
	const char *p;
	int depth;
};

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static struct jval *jnew(enum jtype t)
{
	struct jval *v = calloc(1, sizeof(*v));
	if (v)
		v->t = t;
	return v;
}

void json_free(struct jval *v)
{
	while (v) {
		struct jval *next = v->next;
		json_free(v->kids);
		free(v->s);
		free(v->key);
		free(v);
		v = next;
	}
}

int json_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = json_hexval(s[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Parses a string at ps->p (on the opening quote); returns malloc'd text. */
static char *parse_string(struct parser *ps)
{
	const char *s = ps->p + 1;
	size_t n = 0;
	/* The unescaped text is never longer than the escaped one. */
	const char *e = s;
	while (*e && *e != '"') {
		if (*e == '\\' && e[1])
			e++;
		e++;
	}
	if (*e != '"')
		return NULL;
	char *out = malloc((size_t)(e - s) + 1);
	if (!out)
		return NULL;
	while (*s != '"') {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			out[n++] = (char)c;
			s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (!hex4(s + 1, &cp))
				goto bad;
			s += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && s[1] == '\\' && s[2] == 'u' &&
			    hex4(s + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = 0xFFFD; /* lone surrogate */
			}
			n += put_utf8(out + n, cp);
			break;
		}
		default:
			goto bad;
		}
		s++;
	}
	out[n] = 0;
	ps->p = s + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static bool parse_number(struct parser *ps, double *out)
{
	const char *s = ps->p;
	if (*s == '-')
		s++;
	if (*s == '0') {
		s++;
	} else if (*s >= '1' && *s <= '9') {
		while (*s >= '0' && *s <= '9')
			s++;
	} else {
		return false;
	}
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	*out = strtod(ps->p, NULL);
	ps->p = s;
	return true;
}

static struct jval *parse_value(struct parser *ps);

/* Parses the members or elements of an object or array. */
static bool parse_container(struct parser *ps, struct jval *v, char close)
{
	struct jval **tail = &v->kids;
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return true;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(ps);
		if (close == '}') {
			if (*ps->p != '"' || !(key = parse_string(ps)))
				return false;
			skip_ws(ps);
			if (*ps->p != ':') {
				free(key);
				return false;
			}
			ps->p++;
		}
		struct jval *kid = parse_value(ps);
		if (!kid) {
			free(key);
			return false;
		}
		kid->key = key;
		*tail = kid;
		tail = &kid->next;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			return true;
		}
		return false;
	}
}

static struct jval *parse_value(struct parser *ps)
{
	struct jval *v = NULL;
	skip_ws(ps);
	switch (*ps->p) {
	case '{':
	case '[':
		if (++ps->depth > JSON_MAX_DEPTH)
			return NULL;
		v = jnew(*ps->p == '{' ? J_OBJ : J_ARR);
		if (v && !parse_container(ps, v, *ps->p == '{' ? '}' : ']')) {
			json_free(v);
			v = NULL;
		}
		ps->depth--;
		return v;
	case '"': {
		char *s = parse_string(ps);
		if (!s)
			return NULL;
		if (!(v = jnew(J_STR))) {
			free(s);
			return NULL;
		}
		v->s = s;
		return v;
	}
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = {"true", "false", "null"};
		for (int i = 0; i < 3; i++) {
			size_t n = strlen(words[i]);
			if (strncmp(ps->p, words[i], n) == 0) {
				ps->p += n;
				if ((v = jnew(i == 2 ? J_NULL : J_BOOL)))
					v->b = i == 0;
				return v;
			}
		}
		return NULL;
	}
	default: {
		double n;
		if (!parse_number(ps, &n))
			return NULL;
		if ((v = jnew(J_NUM)))
			v->n = n;
		return v;
	}
	}
}

struct jval *json_parse(const char *text)
{
	if (!text)
		return NULL;
	struct parser ps = {text, 0};
	struct jval *v = parse_value(&ps);
	if (!v)
		return NULL;
	skip_ws(&ps);
	if (*ps.p) {
		json_free(v);
		return NULL;
	}
	return v;
}

bool json_valid(const char *text)
{
	struct jval *v = json_parse(text);
	json_free(v);
	return v != NULL;
}

const struct jval *json_get(const struct jval *obj, const char *key)
{
	if (!obj || obj->t != J_OBJ)
		return NULL;
	for (const struct jval *k = obj->kids; k; k = k->next)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

const char *json_str(const struct jval *v)
{
	return v && v->t == J_STR ? v->s : NULL;
}

bool json_filter(const struct jval *arr, const char *s)
{
	if (!arr || arr->t != J_ARR || !arr->kids)
		return true;
	for (const struct jval *k = arr->kids; k; k = k->next)
		if (k->t == J_STR && s && strcmp(k->s, s) == 0)
			return true;
	return false;
}

/* ---- builder ----------------------------------------------------------- */

static bool sb_grow(struct sb *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void sb_add(struct sb *b, const char *s)
{
	size_t n = strlen(s);
	if (!sb_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

void sb_addf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sb_grow(b, (size_t)n)) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_str(struct sb *b, const char *s)
{
	sb_add(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': sb_add(b, "\\\""); break;
		case '\\': sb_add(b, "\\\\"); break;
		case '\n': sb_add(b, "\\n"); break;
		case '\r': sb_add(b, "\\r"); break;
		case '\t': sb_add(b, "\\t"); break;
		default:
			if (c < 0x20) {
				sb_addf(b, "\\u%04x", c);
			} else {
				char one[2] = {(char)c, 0};
				sb_add(b, one);
			}
		}
	}
	sb_add(b, "\"");
}

char *sb_take(struct sb *b)
{
	if (b->oom || !b->p) {
		free(b->p);
		b->p = NULL;
		return NULL;
	}
	char *p = b->p;
	b->p = NULL;
	return p;
}
