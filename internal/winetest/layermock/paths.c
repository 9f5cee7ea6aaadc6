/*
 * Layer folders on disk: naming, tests of what a folder holds, and the few
 * file operations the mock performs (copying a staging folder, removing a
 * layer, writing fake VHDX files and small JSON files).
 */
#include "layermock.h"

#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* Files larger than this are not read whole (layerchain.json, fake VHDX). */
#define MAX_TEXT (1u << 20)

static bool absolute(PCWSTR p)
{
	return (p[0] == L'\\' && p[1] == L'\\') ||
	       (iswalpha(p[0]) && p[1] == L':' && (p[2] == L'\\' || p[2] == L'/'));
}

static bool separator(WCHAR c) { return c == L'\\' || c == L'/'; }

HRESULT norm_path(PCWSTR path, WCHAR **out)
{
	*out = NULL;
	if (!path || !*path)
		return fail(E_INVALIDARG, "a path is NULL or empty");
	if (!absolute(path)) {
		char *u = to_utf8(path);
		HRESULT hr = fail(E_INVALIDARG, "%s: not an absolute path", u ? u : "?");
		free(u);
		return hr;
	}
	WCHAR *full;
	if (wcsncmp(path, L"\\\\?\\", 4) == 0) {
		full = wcs_dup(path); /* \\?\ paths are taken as they are */
	} else {
		DWORD n = GetFullPathNameW(path, 0, NULL, NULL);
		full = n ? malloc(sizeof(WCHAR) * n) : NULL;
		if (full && GetFullPathNameW(path, n, full, NULL) >= n) {
			free(full);
			full = NULL;
		}
	}
	if (!full)
		return E_OUTOFMEMORY;
	size_t len = wcslen(full);
	while (len > 3 && separator(full[len - 1]))
		full[--len] = 0;
	if (len <= 3 && full[1] == L':') {
		char *u = to_utf8(full);
		free(full);
		HRESULT hr = fail(E_INVALIDARG, "%s: a drive root is not a layer", u ? u : "?");
		free(u);
		return hr;
	}
	*out = full;
	return S_OK;
}

HRESULT layer_path(const VMC_DRIVER_INFO *info, PCWSTR id, WCHAR **out)
{
	*out = NULL;
	if (!info)
		return fail(E_INVALIDARG, "DriverInfo is NULL");
	if (info->Flavour != VMC_FILTER_DRIVER)
		return fail(E_INVALIDARG, "DriverInfo.Flavour is %u, not 1 (the filter driver)",
			    info->Flavour);
	if (!info->HomeDir)
		return fail(E_INVALIDARG, "DriverInfo.HomeDir is NULL (runtimes pass an empty string)");
	if (!id || !*id)
		return fail(E_INVALIDARG, "the layer id is NULL or empty");
	WCHAR *joined = *info->HomeDir ? path_join(info->HomeDir, id) : wcs_dup(id);
	if (!joined)
		return E_OUTOFMEMORY;
	HRESULT hr = norm_path(joined, out);
	free(joined);
	return hr;
}

WCHAR *path_join(PCWSTR dir, PCWSTR name)
{
	size_t a = wcslen(dir), b = wcslen(name);
	bool sep = a > 0 && !separator(dir[a - 1]);
	WCHAR *p = malloc(sizeof(WCHAR) * (a + b + 2));
	if (!p)
		return NULL;
	memcpy(p, dir, sizeof(WCHAR) * a);
	if (sep)
		p[a++] = L'\\';
	memcpy(p + a, name, sizeof(WCHAR) * (b + 1));
	return p;
}

PCWSTR base_name(PCWSTR path)
{
	PCWSTR b = path;
	for (PCWSTR p = path; *p; p++)
		if (separator(*p) && p[1])
			b = p + 1;
	return b;
}

static DWORD attrs(PCWSTR path) { return GetFileAttributesW(path); }

bool is_dir(PCWSTR path)
{
	DWORD a = attrs(path);
	return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

bool is_file(PCWSTR path)
{
	DWORD a = attrs(path);
	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

static bool has(PCWSTR dir, PCWSTR name, bool want_dir)
{
	WCHAR *p = path_join(dir, name);
	bool ok = p && (want_dir ? is_dir(p) : is_file(p));
	free(p);
	return ok;
}

bool has_dir(PCWSTR dir, PCWSTR name) { return has(dir, name, true); }
bool has_file(PCWSTR dir, PCWSTR name) { return has(dir, name, false); }

bool is_scratch(PCWSTR path) { return is_dir(path) && has_file(path, L"sandbox.vhdx"); }
bool is_layer(PCWSTR path) { return is_dir(path) && (has_dir(path, L"Files") || has_file(path, L"sandbox.vhdx")); }

/* Calls fn for every entry of dir but . and ..; stops when fn returns other
 * than S_OK (S_FALSE: stop without error). */
HRESULT each_entry(PCWSTR dir, HRESULT (*fn)(PCWSTR dir, const WIN32_FIND_DATAW *e, void *arg), void *arg)
{
	WCHAR *pattern = path_join(dir, L"*");
	if (!pattern)
		return E_OUTOFMEMORY;
	WIN32_FIND_DATAW e;
	HANDLE h = FindFirstFileW(pattern, &e);
	free(pattern);
	if (h == INVALID_HANDLE_VALUE)
		return HRESULT_FROM_WIN32(GetLastError());
	HRESULT hr = S_OK;
	do {
		if (wcscmp(e.cFileName, L".") == 0 || wcscmp(e.cFileName, L"..") == 0)
			continue;
		hr = fn(dir, &e, arg);
	} while (hr == S_OK && FindNextFileW(h, &e));
	FindClose(h);
	return hr;
}

static HRESULT found(PCWSTR dir, const WIN32_FIND_DATAW *e, void *arg)
{
	(void)dir;
	(void)e;
	*(bool *)arg = true;
	return S_FALSE; /* stop */
}

bool dir_empty(PCWSTR path)
{
	bool any = false;
	HRESULT hr = each_entry(path, found, &any);
	return SUCCEEDED(hr) && !any;
}

HRESULT make_dirs(PCWSTR path)
{
	if (is_dir(path))
		return S_OK;
	WCHAR *parent = wcs_dup(path);
	if (!parent)
		return E_OUTOFMEMORY;
	WCHAR *last = (WCHAR *)base_name(parent);
	HRESULT hr = S_OK;
	if (last > parent + 1 && separator(last[-1]) && last[-2] != L':') {
		last[-1] = 0;
		hr = make_dirs(parent);
	}
	free(parent);
	if (SUCCEEDED(hr) && !CreateDirectoryW(path, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		hr = HRESULT_FROM_WIN32(GetLastError());
	return hr;
}

static HRESULT copy_entry(PCWSTR dir, const WIN32_FIND_DATAW *e, void *arg)
{
	WCHAR *from = path_join(dir, e->cFileName);
	WCHAR *to = path_join((PCWSTR)arg, e->cFileName);
	HRESULT hr = S_OK;
	if (!from || !to)
		hr = E_OUTOFMEMORY;
	else if (e->dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
		hr = fail(E_NOTIMPL, "the mock does not copy reparse points");
	else if (e->dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
		hr = copy_tree(from, to);
	else if (!CopyFileW(from, to, TRUE))
		hr = HRESULT_FROM_WIN32(GetLastError());
	free(from);
	free(to);
	return hr;
}

HRESULT copy_tree(PCWSTR from, PCWSTR to)
{
	if (!CreateDirectoryW(to, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		return HRESULT_FROM_WIN32(GetLastError());
	HRESULT hr = each_entry(from, copy_entry, (void *)to);
	return FAILED(hr) ? hr : S_OK;
}

static HRESULT remove_entry(PCWSTR dir, const WIN32_FIND_DATAW *e, void *arg)
{
	(void)arg;
	WCHAR *p = path_join(dir, e->cFileName);
	if (!p)
		return E_OUTOFMEMORY;
	HRESULT hr = S_OK;
	if ((e->dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
	    (e->dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
		/* A junction or directory link: remove the link, never its target. */
		if (!RemoveDirectoryW(p))
			hr = HRESULT_FROM_WIN32(GetLastError());
	} else if (e->dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
		hr = remove_tree(p);
	} else {
		if (e->dwFileAttributes & FILE_ATTRIBUTE_READONLY)
			SetFileAttributesW(p, e->dwFileAttributes & ~(DWORD)FILE_ATTRIBUTE_READONLY);
		if (!DeleteFileW(p))
			hr = HRESULT_FROM_WIN32(GetLastError());
	}
	free(p);
	return hr;
}

HRESULT remove_tree(PCWSTR path)
{
	HRESULT hr = each_entry(path, remove_entry, NULL);
	if (FAILED(hr))
		return hr;
	if (!RemoveDirectoryW(path))
		return HRESULT_FROM_WIN32(GetLastError());
	return S_OK;
}

static HRESULT write_file(PCWSTR path, bool exclusive, const void *a, DWORD an, const void *b, DWORD bn)
{
	HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, exclusive ? CREATE_NEW : CREATE_ALWAYS,
			       FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return HRESULT_FROM_WIN32(GetLastError());
	DWORD done;
	HRESULT hr = S_OK;
	if (!WriteFile(h, a, an, &done, NULL) || done != an || (bn && (!WriteFile(h, b, bn, &done, NULL) || done != bn)))
		hr = HRESULT_FROM_WIN32(GetLastError());
	CloseHandle(h);
	if (FAILED(hr))
		DeleteFileW(path);
	return hr;
}

HRESULT write_text(PCWSTR path, const char *text)
{
	return write_file(path, false, text, (DWORD)strlen(text), NULL, 0);
}

HRESULT read_text(PCWSTR path, char **text)
{
	*text = NULL;
	HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return HRESULT_FROM_WIN32(GetLastError());
	LARGE_INTEGER size;
	HRESULT hr = S_OK;
	char *buf = NULL;
	DWORD got = 0;
	if (!GetFileSizeEx(h, &size))
		hr = HRESULT_FROM_WIN32(GetLastError());
	else if (size.QuadPart > MAX_TEXT)
		hr = HR_WIN32(ERROR_FILE_TOO_LARGE);
	else if (!(buf = malloc((size_t)size.QuadPart + 1)))
		hr = E_OUTOFMEMORY;
	else if (!ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL))
		hr = HRESULT_FROM_WIN32(GetLastError());
	CloseHandle(h);
	if (FAILED(hr)) {
		free(buf);
		return hr;
	}
	buf[got] = 0;
	*text = buf;
	return S_OK;
}

static const char vhdx_signature[8] = {'v', 'h', 'd', 'x', 'f', 'i', 'l', 'e'};

HRESULT write_vhdx(PCWSTR path, bool exclusive, const char *json)
{
	size_t n = strlen(json);
	char *line = malloc(n + 2);
	if (!line)
		return E_OUTOFMEMORY;
	memcpy(line, json, n);
	line[n] = '\n';
	HRESULT hr = write_file(path, exclusive, vhdx_signature, sizeof(vhdx_signature), line, (DWORD)n + 1);
	free(line);
	return hr;
}

HRESULT read_vhdx(PCWSTR path, char **json)
{
	*json = NULL;
	char *text;
	HRESULT hr = read_text(path, &text);
	if (FAILED(hr))
		return hr;
	if (strncmp(text, vhdx_signature, sizeof(vhdx_signature)) == 0) {
		char *line = text + sizeof(vhdx_signature);
		line[strcspn(line, "\r\n")] = 0;
		size_t n = strlen(line) + 1;
		if ((*json = malloc(n)))
			memcpy(*json, line, n);
	}
	free(text);
	return S_OK;
}
