/*
 * String conversions between the UTF-16 of the exports and the UTF-8 of the
 * JSON parser.
 */
#include "layermock.h"

#include <stdlib.h>
#include <string.h>

char *to_utf8(PCWSTR w)
{
	if (!w)
		return NULL;
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	if (n <= 0)
		return NULL;
	char *s = malloc((size_t)n);
	if (s && !WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL)) {
		free(s);
		return NULL;
	}
	return s;
}

WCHAR *to_wide(const char *s)
{
	if (!s)
		return NULL;
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	if (n <= 0)
		return NULL;
	WCHAR *w = malloc(sizeof(WCHAR) * (size_t)n);
	if (w && !MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n)) {
		free(w);
		return NULL;
	}
	return w;
}

WCHAR *wcs_dup(PCWSTR w)
{
	if (!w)
		return NULL;
	size_t n = (wcslen(w) + 1) * sizeof(WCHAR);
	WCHAR *d = malloc(n);
	if (d)
		memcpy(d, w, n);
	return d;
}

bool wcs_same(PCWSTR a, PCWSTR b)
{
	return a && b && CompareStringOrdinal(a, -1, b, -1, TRUE) == CSTR_EQUAL;
}
