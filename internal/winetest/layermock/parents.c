/*
 * Parent lists: the WC_LAYER_DESCRIPTOR arrays of vmcompute.dll and the
 * LayerData documents of computestorage.dll, read into one form and checked
 * the same way. Parents are ordered nearest first, the base layer last.
 */
#include "layermock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plist_free(struct plist *l)
{
	for (UINT32 i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->n = 0;
	l->v = NULL;
}

HRESULT plist_copy(const struct plist *from, struct plist *to)
{
	to->n = 0;
	to->v = NULL;
	if (!from->n)
		return S_OK;
	if (!(to->v = calloc(from->n, sizeof(*to->v))))
		return E_OUTOFMEMORY;
	for (UINT32 i = 0; i < from->n; i++, to->n++) {
		to->v[i] = from->v[i];
		if (!(to->v[i].path = wcs_dup(from->v[i].path))) {
			plist_free(to);
			return E_OUTOFMEMORY;
		}
	}
	return S_OK;
}

void paths_free(WCHAR **paths, UINT32 n)
{
	for (UINT32 i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

HRESULT paths_from_json(const struct jval *arr, WCHAR ***paths, UINT32 *n)
{
	*paths = NULL;
	*n = 0;
	if (!arr || arr->t != J_ARR)
		return E_INVALIDARG;
	UINT32 count = 0;
	for (const struct jval *k = arr->kids; k; k = k->next)
		count++;
	WCHAR **v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return E_OUTOFMEMORY;
	UINT32 i = 0;
	HRESULT hr = S_OK;
	for (const struct jval *k = arr->kids; k && SUCCEEDED(hr); k = k->next, i++) {
		WCHAR *w = k->t == J_STR ? to_wide(k->s) : NULL;
		hr = w ? norm_path(w, &v[i]) : E_INVALIDARG;
		free(w);
	}
	if (FAILED(hr)) {
		paths_free(v, count);
		return hr;
	}
	*paths = v;
	*n = count;
	return S_OK;
}

/* Checks a layer's layerchain.json against the parents that follow it in
 * the list. A layer without one is a base layer, which must come last. */
static HRESULT check_chain(const struct plist *l, UINT32 i)
{
	WCHAR *file = path_join(l->v[i].path, L"layerchain.json");
	if (!file)
		return E_OUTOFMEMORY;
	char *text = NULL;
	HRESULT hr = is_file(file) ? read_text(file, &text) : S_FALSE;
	free(file);
	if (FAILED(hr))
		return fail(hr, "parent %u: cannot read its layerchain.json", i);
	if (hr == S_FALSE) { /* a base layer: it must come last */
		if (i + 1 == l->n)
			return S_OK;
		char *u = to_utf8(l->v[i].path);
		hr = fail(E_INVALIDARG,
			  "parent %u (%s) has no layerchain.json, so it is a base layer, but %u layers follow it "
			  "(parents go nearest first, the base layer last)",
			  i, u ? u : "?", l->n - i - 1);
		free(u);
		return hr;
	}
	struct jval *doc = json_parse(text);
	free(text);
	bool strings = doc && doc->t == J_ARR;
	for (const struct jval *k = strings ? doc->kids : NULL; k; k = k->next)
		strings = strings && k->t == J_STR;
	if (!strings) {
		json_free(doc);
		return fail(HR_INVALID_DATA, "parent %u: its layerchain.json is not a JSON array of strings", i);
	}
	WCHAR **chain = NULL;
	UINT32 n = 0;
	hr = paths_from_json(doc, &chain, &n);
	json_free(doc);
	if (FAILED(hr))
		return fail(E_INVALIDARG, "parent %u: its layerchain.json names a path that is not absolute", i);
	UINT32 after = l->n - i - 1;
	if (n != after) {
		hr = fail(E_INVALIDARG, "parent %u: its layerchain.json names %u parents, the list has %u after it",
			  i, n, after);
	} else {
		for (UINT32 j = 0; j < n && SUCCEEDED(hr); j++) {
			if (!wcs_same(chain[j], l->v[i + 1 + j].path)) {
				char *want = to_utf8(chain[j]), *got = to_utf8(l->v[i + 1 + j].path);
				hr = fail(E_INVALIDARG,
					  "parent %u: its layerchain.json has %s as its parent %u, the list has %s "
					  "(parents go nearest first, the base layer last)",
					  i, want ? want : "?", j, got ? got : "?");
				free(want);
				free(got);
			}
		}
	}
	paths_free(chain, n);
	return hr;
}

/* Checks a parent list: its arguments first (each id NameToGuid of the
 * base name of its path, no path twice: E_INVALIDARG), then the folders
 * (each a layer folder with Files\: ERROR_PATH_NOT_FOUND), then their
 * order (check_chain). The paths are already normalized. */
static HRESULT check(const struct plist *l)
{
	for (UINT32 i = 0; i < l->n; i++) {
		const struct parent *p = &l->v[i];
		char *u = to_utf8(p->path);
		const char *path = u ? u : "?";
		HRESULT hr = S_OK;
		GUID want;
		PCWSTR base = base_name(p->path);
		if (FAILED(hr = guid_of_name(base, wcslen(base), &want))) {
			hr = fail(hr, "NameToGuid failed");
		} else if (memcmp(&want, &p->id, sizeof(want)) != 0) {
			char got_s[37], want_s[37];
			guid_format(&p->id, got_s);
			guid_format(&want, want_s);
			hr = fail(E_INVALIDARG, "parent %u (%s): LayerId %s is not NameToGuid of the folder's base name (%s)",
				  i, path, got_s, want_s);
		} else {
			for (UINT32 j = 0; j < i && SUCCEEDED(hr); j++)
				if (wcs_same(l->v[j].path, p->path))
					hr = fail(E_INVALIDARG, "parent %u (%s) is also parent %u", i, path, j);
		}
		free(u);
		if (FAILED(hr))
			return hr;
	}
	for (UINT32 i = 0; i < l->n; i++) {
		if (!is_dir(l->v[i].path) || !has_dir(l->v[i].path, L"Files")) {
			char *u = to_utf8(l->v[i].path);
			HRESULT hr = fail(HR_PATH_NOT_FOUND, "parent %u (%s) is not a layer folder (no Files\\)", i, u ? u : "?");
			free(u);
			return hr;
		}
	}
	/* Every layer exists: now their chains. */
	for (UINT32 i = 0; i < l->n; i++) {
		HRESULT hr = check_chain(l, i);
		if (FAILED(hr))
			return hr;
	}
	return S_OK;
}

HRESULT plist_from_descriptors(const VMC_LAYER_DESCRIPTOR *d, UINT32 n, struct plist *out)
{
	out->n = 0;
	out->v = NULL;
	if (!n)
		return S_OK;
	if (!d)
		return fail(E_INVALIDARG, "%u layer descriptors but the array is NULL", n);
	if (!(out->v = calloc(n, sizeof(*out->v))))
		return E_OUTOFMEMORY;
	HRESULT hr = S_OK;
	for (UINT32 i = 0; i < n && SUCCEEDED(hr); i++) {
		if (!d[i].Path) {
			hr = fail(E_INVALIDARG, "layer descriptor %u has a NULL Path", i);
			break;
		}
		out->v[i].id = d[i].LayerId;
		out->v[i].flags = d[i].Flags;
		hr = norm_path(d[i].Path, &out->v[i].path);
		out->n = i + 1;
	}
	if (SUCCEEDED(hr))
		hr = check(out);
	if (FAILED(hr))
		plist_free(out);
	return hr;
}

HRESULT plist_from_layerdata(PCWSTR layerData, struct plist *out)
{
	out->n = 0;
	out->v = NULL;
	if (!layerData || !*layerData)
		return fail(E_INVALIDARG, "layerData is NULL or empty");
	char *text = to_utf8(layerData);
	if (!text)
		return E_OUTOFMEMORY;
	struct jval *doc = json_parse(text);
	free(text);
	if (!doc || doc->t != J_OBJ) {
		json_free(doc);
		return fail(HR_INVALID_JSON, "layerData is not a JSON object");
	}
	const struct jval *layers = json_get(doc, "Layers");
	HRESULT hr = S_OK;
	if (layers && layers->t != J_ARR && layers->t != J_NULL) {
		hr = fail(HR_INVALID_JSON, "layerData.Layers is not an array");
	} else if (layers && layers->t == J_ARR) {
		UINT32 n = 0;
		for (const struct jval *k = layers->kids; k; k = k->next)
			n++;
		if (n && !(out->v = calloc(n, sizeof(*out->v))))
			hr = E_OUTOFMEMORY;
		UINT32 i = 0;
		for (const struct jval *k = layers->kids; k && SUCCEEDED(hr); k = k->next, i++) {
			const char *id = json_str(json_get(k, "Id"));
			const char *path = json_str(json_get(k, "Path"));
			const struct jval *type = json_get(k, "PathType");
			WCHAR *w = NULL;
			if ((k->t != J_OBJ && k->t != J_NULL) || !json_opt_str(json_get(k, "Id")) ||
			    !json_opt_str(json_get(k, "Path")) || !json_opt_str(type))
				hr = fail(HR_INVALID_JSON, "layerData.Layers[%u] is not a Layer object (Id, Path, PathType: strings)", i);
			else if (!id || !path)
				hr = fail(E_INVALIDARG, "layerData.Layers[%u] needs an Id and a Path", i);
			else if (!guid_parse(id, &out->v[i].id))
				hr = fail(E_INVALIDARG, "layerData.Layers[%u].Id \"%s\" is not a GUID", i, id);
			else if (json_str(type) && strcmp(json_str(type), "AbsolutePath") != 0)
				hr = fail(E_INVALIDARG, "layerData.Layers[%u].PathType must be AbsolutePath on the host", i);
			else if (!(w = to_wide(path)))
				hr = E_OUTOFMEMORY;
			else
				hr = norm_path(w, &out->v[i].path);
			free(w);
			out->n = i + 1;
		}
		if (SUCCEEDED(hr))
			hr = check(out);
	}
	json_free(doc);
	if (FAILED(hr))
		plist_free(out);
	return hr;
}

bool plist_equal(const struct plist *a, const struct plist *b, char *msg, size_t cap)
{
	if (a->n != b->n) {
		snprintf(msg, cap, "%u layers where %u are expected", a->n, b->n);
		return false;
	}
	for (UINT32 i = 0; i < a->n; i++) {
		if (memcmp(&a->v[i].id, &b->v[i].id, sizeof(GUID)) == 0 && wcs_same(a->v[i].path, b->v[i].path))
			continue;
		char ga[37], gb[37];
		char *pa = to_utf8(a->v[i].path), *pb = to_utf8(b->v[i].path);
		guid_format(&a->v[i].id, ga);
		guid_format(&b->v[i].id, gb);
		snprintf(msg, cap, "layer %u is {%s, %s} where {%s, %s} is expected", i, ga, pa ? pa : "?", gb,
			 pb ? pb : "?");
		free(pa);
		free(pb);
		return false;
	}
	return true;
}

char *plist_paths_json(const struct plist *l)
{
	struct sb b = {0};
	sb_add(&b, "[");
	for (UINT32 i = 0; i < l->n; i++) {
		char *u = to_utf8(l->v[i].path);
		if (!u)
			b.oom = true;
		if (i)
			sb_add(&b, ",");
		sb_str(&b, u);
		free(u);
	}
	sb_add(&b, "]");
	return sb_take(&b);
}

HRESULT plist_check_chain(PCWSTR layer, const struct plist *parents)
{
	struct parent *v = malloc((parents->n + 1) * sizeof(*v));
	if (!v)
		return E_OUTOFMEMORY;
	v[0] = (struct parent){.path = (WCHAR *)layer};
	if (parents->n)
		memcpy(v + 1, parents->v, parents->n * sizeof(*v));
	struct plist all = {parents->n + 1, v};
	HRESULT hr = check_chain(&all, 0);
	free(v);
	return hr;
}
