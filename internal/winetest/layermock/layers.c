/*
 * The layer operations behind the exports of both mock DLLs: the state
 * machine of a layer (Inactive, Activated, Prepared), and what importing,
 * exporting, processing and destroying a layer do to its folder. Every
 * function runs with the lock held and takes normalized paths.
 */
#include "layermock.h"

#include <stdlib.h>
#include <string.h>

/* Records "<path>: <what>" as the failure of the call and returns hr. */
static HRESULT fail_at(HRESULT hr, PCWSTR path, const char *what)
{
	char *u = to_utf8(path);
	hr = fail(hr, "%s: %s", u ? u : "?", what);
	free(u);
	return hr;
}

/* The size CreateSandboxLayer gives a scratch: 20 GB, Windows' default. */
#define DEFAULT_SANDBOX_SIZE (20ULL << 30)

/* The JSON line of a fake sandbox.vhdx: the parents it was created over
 * (UTF-8 paths) and its size. The simulator writes the same fields. */
static char *sandbox_json(const char *const *paths, UINT32 n, UINT64 size)
{
	struct sb b = {0};
	sb_add(&b, "{\"Fake\":\"hcs mock vmcompute.dll\",\"Kind\":\"sandbox\",\"Parents\":[");
	for (UINT32 i = 0; i < n; i++) {
		if (i)
			sb_add(&b, ",");
		sb_str(&b, paths[i]);
	}
	sb_addf(&b, "],\"Size\":%llu}", (unsigned long long)size);
	return sb_take(&b);
}

/* Writes the fake sandbox.vhdx of the scratch at path. */
static HRESULT sandbox_write(PCWSTR path, bool exclusive, const char *const *paths, UINT32 n, UINT64 size)
{
	char *json = sandbox_json(paths, n, size);
	WCHAR *file = path_join(path, L"sandbox.vhdx");
	HRESULT hr = json && file ? write_vhdx(file, exclusive, json) : E_OUTOFMEMORY;
	free(json);
	free(file);
	return hr;
}

/* Reads the JSON line of the scratch's sandbox.vhdx: ERROR_INVALID_DATA
 * when the disk is not a fake's (no signature, or no JSON object after
 * it). Records no failure: the callers say what it means to them. */
static HRESULT sandbox_read(PCWSTR path, struct jval **doc)
{
	*doc = NULL;
	WCHAR *file = path_join(path, L"sandbox.vhdx");
	char *json = NULL;
	HRESULT hr = file ? read_vhdx(file, &json) : E_OUTOFMEMORY;
	free(file);
	if (SUCCEEDED(hr))
		*doc = json_parse(json);
	free(json);
	if (SUCCEEDED(hr) && (!*doc || (*doc)->t != J_OBJ)) {
		json_free(*doc);
		*doc = NULL;
		hr = HR_INVALID_DATA;
	}
	return hr;
}

UINT64 sandbox_size(PCWSTR path)
{
	struct jval *doc;
	if (FAILED(sandbox_read(path, &doc)))
		return 0;
	const struct jval *size = json_get(doc, "Size");
	UINT64 n = size && size->t == J_NUM && size->n > 0 ? (UINT64)size->n : 0;
	json_free(doc);
	return n;
}

HRESULT layer_create_scratch(PCWSTR path, const struct plist *parents)
{
	if (!parents->n)
		return fail_at(E_INVALIDARG, path, "a scratch layer needs its parent layers (at least the base layer)");
	if (has_file(path, L"sandbox.vhdx"))
		return fail_at(HR_FILE_EXISTS, path, "sandbox.vhdx already exists");
	bool made = !is_dir(path);
	HRESULT hr = make_dirs(path);
	if (FAILED(hr))
		return fail_at(hr, path, "cannot create the folder");
	char **paths = calloc(parents->n, sizeof(*paths));
	hr = paths ? S_OK : E_OUTOFMEMORY;
	for (UINT32 i = 0; i < parents->n && SUCCEEDED(hr); i++)
		if (!(paths[i] = to_utf8(parents->v[i].path)))
			hr = E_OUTOFMEMORY;
	if (SUCCEEDED(hr))
		hr = sandbox_write(path, true, (const char *const *)paths, parents->n, DEFAULT_SANDBOX_SIZE);
	for (UINT32 i = 0; paths && i < parents->n; i++)
		free(paths[i]);
	free(paths);
	if (FAILED(hr) && made)
		remove_tree(path);
	return FAILED(hr) ? fail_at(hr, path, "cannot write sandbox.vhdx") : S_OK;
}

HRESULT layer_expand(PCWSTR path, UINT64 size)
{
	if (!is_scratch(path))
		return fail_at(HR_FILE_NOT_FOUND, path, "no sandbox.vhdx to expand");
	struct jval *doc;
	HRESULT hr = sandbox_read(path, &doc);
	if (hr == HR_INVALID_DATA)
		return fail_at(hr, path, "sandbox.vhdx is not a disk the fakes wrote: the mock cannot expand it");
	if (FAILED(hr))
		return fail_at(hr, path, "cannot read sandbox.vhdx");
	const struct jval *cur = json_get(doc, "Size");
	UINT64 now = cur && cur->t == J_NUM && cur->n > 0 ? (UINT64)cur->n : 0;
	/* Keep the recorded parents: the JSON strings of the array. */
	const struct jval *arr = json_get(doc, "Parents");
	UINT32 n = 0;
	for (const struct jval *k = arr && arr->t == J_ARR ? arr->kids : NULL; k; k = k->next)
		n += k->t == J_STR;
	const char **paths = calloc(n ? n : 1, sizeof(*paths));
	n = 0;
	for (const struct jval *k = arr && arr->t == J_ARR ? arr->kids : NULL; paths && k; k = k->next)
		if (k->t == J_STR)
			paths[n++] = k->s;
	if (!paths)
		hr = E_OUTOFMEMORY;
	else if (size < now)
		hr = fail_at(E_INVALIDARG, path, "the sandbox cannot shrink");
	else if (size > now)
		hr = sandbox_write(path, false, paths, n, size);
	free(paths);
	json_free(doc);
	return hr;
}

HRESULT layer_activate(PCWSTR path)
{
	if (!is_layer(path))
		return fail_at(HR_PATH_NOT_FOUND, path, "not a layer folder (no Files\\ nor sandbox.vhdx)");
	struct layer *l = layer_get(path);
	if (!l)
		return E_OUTOFMEMORY;
	if (l->filter)
		return fail_at(HR_BUSY, path, "its storage filter is attached (HcsAttachLayerStorageFilter)");
	l->activations++;
	return S_OK;
}

/* Checks that a scratch is prepared over the parents it was created with,
 * when its fake sandbox.vhdx records them. */
static HRESULT check_created_over(PCWSTR path, const struct plist *parents)
{
	struct jval *doc;
	if (FAILED(sandbox_read(path, &doc)))
		return S_OK; /* not a fake's disk: it records nothing */
	WCHAR **created = NULL;
	UINT32 n = 0;
	const struct jval *arr = json_get(doc, "Parents");
	HRESULT hr = arr ? paths_from_json(arr, &created, &n) : S_FALSE;
	json_free(doc);
	if (hr != S_OK || !n) { /* not made by a fake that records its parents */
		paths_free(created, n);
		return S_OK;
	}
	bool same = n == parents->n;
	for (UINT32 i = 0; same && i < n; i++)
		same = wcs_same(created[i], parents->v[i].path);
	paths_free(created, n);
	if (!same)
		return fail_at(E_INVALIDARG, path,
			       "prepared over other parent layers than CreateSandboxLayer was given, or in another order");
	return S_OK;
}

HRESULT layer_prepare(PCWSTR path, const struct plist *parents, bool filter)
{
	struct layer *l = layer_find(path);
	if (!parents->n)
		return fail_at(E_INVALIDARG, path, "preparing a layer needs its parent layers");
	if (l && l->prepared)
		return fail_at(HR_ALREADY_EXISTS, path, "already prepared");
	HRESULT hr;
	char msg[400];
	if (filter) {
		if (l && l->activations)
			return fail_at(HR_BUSY, path, "activated with ActivateLayer");
		if (!is_layer(path) && !(l && l->writable))
			return fail_at(HR_PATH_NOT_FOUND, path, "neither a layer folder nor an initialized writable layer");
		if (l && l->writable && l->parents.n && !plist_equal(parents, &l->parents, msg, sizeof(msg)))
			return fail_at(E_INVALIDARG, path, msg);
	} else {
		if (!l || !l->activations)
			return fail_at(HR_NOT_READY, path, "not activated (ActivateLayer)");
		if (!is_scratch(path))
			return fail_at(HR_FILE_NOT_FOUND, path, "no sandbox.vhdx: only a scratch layer is prepared");
		if (FAILED(hr = check_created_over(path, parents)))
			return hr;
	}
	if (!l && !(l = layer_get(path)))
		return E_OUTOFMEMORY;
	struct plist copy;
	if (FAILED(hr = plist_copy(parents, &copy)))
		return hr;
	if (!filter && FAILED(hr = volume_new(l->volume))) {
		plist_free(&copy);
		return hr;
	}
	plist_free(&l->parents);
	l->parents = copy;
	l->prepared = true;
	if (filter) {
		l->filter = true;
		l->activations = 1;
	}
	return S_OK;
}

HRESULT layer_unprepare(PCWSTR path, bool busy, void *detach)
{
	struct layer *l = layer_find(path);
	bool filter = detach != NULL;
	if (!l || !l->prepared)
		return fail_at(HR_NOT_READY, path, filter ? "no storage filter attached" : "not prepared");
	if (l->filter != filter)
		return fail_at(E_INVALIDARG, path,
			       filter ? "prepared with PrepareLayer: undo it with UnprepareLayer"
				      : "its storage filter was attached: detach it with HcsDetachLayerStorageFilter");
	if (busy)
		return fail_at(HR_BUSY, path, "a compute system that is not stopped uses it as its Storage.Path");
	l->prepared = false;
	l->volume[0] = 0;
	if (!l->writable)
		plist_free(&l->parents);
	if (filter) {
		l->filter = false;
		l->activations = 0;
	}
	return S_OK;
}

HRESULT layer_deactivate(PCWSTR path)
{
	struct layer *l = layer_find(path);
	if (!l || !l->activations)
		return fail_at(HR_NOT_READY, path, "not activated");
	/* The last activation holds the volume; extra ones can be undone. */
	if (l->prepared && l->activations == 1)
		return fail_at(HR_BUSY, path, l->filter ? "its storage filter is attached" : "prepared: UnprepareLayer first");
	l->activations--;
	return S_OK;
}

/* The entries a layer folder, or a half-made one, may hold. */
static const WCHAR *const layer_entries[] = {
	L"Files", L"Hives", L"UtilityVM", L"Layout", L"sandbox.vhdx", L"blank.vhdx", L"blank-base.vhdx",
	L"layerchain.json",
};

static HRESULT only_layer_entry(PCWSTR dir, const WIN32_FIND_DATAW *e, void *arg)
{
	(void)dir;
	for (size_t i = 0; i < sizeof(layer_entries) / sizeof(layer_entries[0]); i++)
		if (wcs_same(e->cFileName, layer_entries[i]))
			return S_OK;
	*(bool *)arg = false;
	return S_FALSE;
}

HRESULT layer_destroy(PCWSTR path)
{
	struct layer *l = layer_find(path);
	if (l && (l->activations || l->prepared))
		return fail_at(HR_BUSY, path, "activated or prepared");
	for (struct layer *o = NULL; (o = layer_next(o));) {
		for (UINT32 i = 0; o->prepared && i < o->parents.n; i++)
			if (wcs_same(o->parents.v[i].path, path))
				return fail_at(HR_BUSY, path, "a parent of a prepared layer");
	}
	if (GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES) {
		if (l)
			layer_forget(l);
		return S_OK; /* already gone: destroying is idempotent */
	}
	if (!is_dir(path))
		return fail_at(E_INVALIDARG, path, "not a folder");
	bool only = true;
	HRESULT hr = each_entry(path, only_layer_entry, &only);
	if (FAILED(hr))
		return fail_at(hr, path, "cannot list the folder");
	if (!only)
		return fail_at(E_INVALIDARG, path,
			       "holds entries no layer has: the mock refuses to delete a folder that is not a layer");
	if (FAILED(hr = remove_tree(path)))
		return fail_at(hr, path, "cannot remove the folder");
	if (l)
		layer_forget(l);
	return S_OK;
}

/* Copies name from one folder to another when it is there. */
static HRESULT copy_if_there(PCWSTR from, PCWSTR to, PCWSTR name)
{
	if (!has_dir(from, name))
		return S_OK;
	WCHAR *a = path_join(from, name), *b = path_join(to, name);
	HRESULT hr = a && b ? copy_tree(a, b) : E_OUTOFMEMORY;
	free(a);
	free(b);
	return hr;
}

/* Creates folder dst for a new layer or export; undo removes what it made. */
static HRESULT make_target(PCWSTR dst, bool *made)
{
	*made = false;
	if (is_dir(dst)) {
		if (!dir_empty(dst))
			return fail_at(HR_DIR_NOT_EMPTY, dst, "the folder is not empty");
		return S_OK;
	}
	HRESULT hr = make_dirs(dst);
	if (FAILED(hr))
		return fail_at(hr, dst, "cannot create the folder");
	*made = true;
	return S_OK;
}

/* Removes what a failed import or export wrote into dst: the whole folder
 * if it made it, else the entries it added (all but a UtilityVM it kept). */
static void undo_target(PCWSTR dst, bool made, bool kept_uvm)
{
	if (made) {
		remove_tree(dst);
		return;
	}
	for (size_t i = 0; i < sizeof(layer_entries) / sizeof(layer_entries[0]); i++) {
		if (kept_uvm && wcscmp(layer_entries[i], L"UtilityVM") == 0)
			continue;
		WCHAR *p = path_join(dst, layer_entries[i]);
		if (p && is_dir(p))
			remove_tree(p);
		else if (p)
			DeleteFileW(p);
		free(p);
	}
}

HRESULT layer_import(PCWSTR dst, PCWSTR staging, const struct plist *parents)
{
	if (!parents->n)
		return fail_at(E_INVALIDARG, dst,
			       "importing a layer needs its parents (a base layer is written with BackupWrite, "
			       "then ProcessBaseImage)");
	if (!is_dir(staging) || !has_dir(staging, L"Files"))
		return fail_at(HR_PATH_NOT_FOUND, staging, "the staging folder has no Files\\");
	if (wcs_same(dst, staging))
		return S_OK; /* imported in place */
	/* The folder may exist: hcsshim writes a layer's UtilityVM\ into it
	 * directly, before the import. */
	if (is_layer(dst) || has_dir(dst, L"Hives"))
		return fail_at(HR_ALREADY_EXISTS, dst, "already a layer");
	bool made = !is_dir(dst);
	HRESULT hr = make_dirs(dst);
	if (FAILED(hr))
		return fail_at(hr, dst, "cannot create the folder");
	bool kept_uvm = has_dir(dst, L"UtilityVM");
	hr = copy_if_there(staging, dst, L"Files");
	if (SUCCEEDED(hr))
		hr = copy_if_there(staging, dst, L"Hives");
	if (SUCCEEDED(hr) && !kept_uvm)
		hr = copy_if_there(staging, dst, L"UtilityVM");
	if (FAILED(hr)) {
		undo_target(dst, made, kept_uvm);
		return fail_at(hr, dst, "cannot write the layer");
	}
	return S_OK;
}

HRESULT layer_export(PCWSTR src, PCWSTR dst, const struct plist *parents, bool writable)
{
	struct layer *l = layer_find(src);
	if (writable && !is_scratch(src) && !(l && l->writable))
		return fail_at(HR_PATH_NOT_FOUND, src, "not a writable layer");
	if (!writable) {
		if (!is_dir(src) || !has_dir(src, L"Files"))
			return fail_at(HR_PATH_NOT_FOUND, src, "not a read-only layer folder (no Files\\)");
		HRESULT hr = plist_check_chain(src, parents);
		if (FAILED(hr))
			return hr;
	}
	bool made;
	HRESULT hr = make_target(dst, &made);
	if (FAILED(hr))
		return hr;
	if (writable) {
		/* The changes a writable layer holds: none, since nothing in the
		 * mocks writes into a mounted scratch. */
		WCHAR *files = path_join(dst, L"Files"), *hives = path_join(dst, L"Hives");
		hr = files && hives ? make_dirs(files) : E_OUTOFMEMORY;
		if (SUCCEEDED(hr))
			hr = make_dirs(hives);
		free(files);
		free(hives);
	} else {
		hr = copy_if_there(src, dst, L"Files");
		if (SUCCEEDED(hr))
			hr = copy_if_there(src, dst, L"Hives");
		if (SUCCEEDED(hr))
			hr = copy_if_there(src, dst, L"UtilityVM");
	}
	if (FAILED(hr)) {
		undo_target(dst, made, false);
		return fail_at(hr, dst, "cannot write the export");
	}
	return S_OK;
}

/* Writes two fake VHDX files into dir, each naming what it stands for. */
static HRESULT write_pair(PCWSTR dir, PCWSTR a, PCWSTR b)
{
	char *u = to_utf8(dir);
	struct sb j = {0};
	sb_add(&j, "{\"Fake\":\"hcs mock vmcompute.dll\",\"Layer\":");
	sb_str(&j, u);
	sb_add(&j, "}");
	char *json = u ? sb_take(&j) : NULL;
	free(j.p);
	free(u);
	WCHAR *pa = path_join(dir, a), *pb = path_join(dir, b);
	HRESULT hr = json && pa && pb ? write_vhdx(pa, false, json) : E_OUTOFMEMORY;
	if (SUCCEEDED(hr))
		hr = write_vhdx(pb, false, json);
	free(json);
	free(pa);
	free(pb);
	return FAILED(hr) ? fail_at(hr, dir, "cannot write the VHDX files") : S_OK;
}

HRESULT layer_process_base(PCWSTR path)
{
	if (!is_dir(path) || !has_dir(path, L"Files"))
		return fail_at(HR_PATH_NOT_FOUND, path, "not a layer folder (no Files\\)");
	if (has_file(path, L"layerchain.json"))
		return fail_at(E_INVALIDARG, path, "has a layerchain.json: not a base layer");
	if (!has_dir(path, L"Hives"))
		return fail_at(HR_PATH_NOT_FOUND, path, "a base layer has Hives\\");
	return write_pair(path, L"blank-base.vhdx", L"blank.vhdx");
}

HRESULT layer_process_utility(PCWSTR path)
{
	if (!is_dir(path) || !has_dir(path, L"Files"))
		return fail_at(HR_PATH_NOT_FOUND, path, "not a utility VM image (no Files\\)");
	return write_pair(path, L"SystemTemplateBase.vhdx", L"SystemTemplate.vhdx");
}
