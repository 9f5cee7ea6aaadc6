/*
 * The check the mock computecore.dll makes before it creates a compute
 * system: a container's storage must be a layer this DLL prepared, and a
 * VM must not attach the sandbox.vhdx of a scratch that is activated on the
 * host. computecore.dll finds MockLayersCheckCreate with GetProcAddress and
 * calls it holding its own lock, so nothing here calls computecore.dll.
 */
#include "layermock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Formats the reason of a refusal into msg and returns hr. */
static HRESULT refuse(char *msg, UINT32 cap, HRESULT hr, const char *fmt, ...)
	__attribute__((format(__MINGW_PRINTF_FORMAT, 4, 5)));
static HRESULT refuse(char *msg, UINT32 cap, HRESULT hr, const char *fmt, ...)
{
	if (msg && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, cap, fmt, ap);
		va_end(ap);
	}
	return hr;
}

/* Reads Storage.Layers: [{Id, Path}...] into a parent list (unchecked). */
static HRESULT storage_layers(const struct jval *arr, struct plist *out, char *msg, UINT32 cap)
{
	out->n = 0;
	out->v = NULL;
	if (!arr || arr->t == J_NULL)
		return S_OK;
	if (arr->t != J_ARR)
		return refuse(msg, cap, HR_INVALID_JSON, "Container.Storage.Layers is not an array");
	UINT32 n = 0;
	for (const struct jval *k = arr->kids; k; k = k->next)
		n++;
	if (n && !(out->v = calloc(n, sizeof(*out->v))))
		return E_OUTOFMEMORY;
	HRESULT hr = S_OK;
	UINT32 i = 0;
	for (const struct jval *k = arr->kids; k && SUCCEEDED(hr); k = k->next, i++) {
		const char *id = json_str(json_get(k, "Id"));
		const char *path = json_str(json_get(k, "Path"));
		WCHAR *w = path ? to_wide(path) : NULL;
		if ((k->t != J_OBJ && k->t != J_NULL) || !json_opt_str(json_get(k, "Id")) || !json_opt_str(json_get(k, "Path")))
			hr = refuse(msg, cap, HR_INVALID_JSON, "Container.Storage.Layers[%u] is not a Layer object (Id, Path: strings)", i);
		else if (!id || !path)
			hr = refuse(msg, cap, E_INVALIDARG, "Container.Storage.Layers[%u] needs an Id and a Path", i);
		else if (!guid_parse(id, &out->v[i].id))
			hr = refuse(msg, cap, E_INVALIDARG, "Container.Storage.Layers[%u].Id \"%s\" is not a GUID", i, id);
		else if (!w || FAILED(norm_path(w, &out->v[i].path)))
			hr = refuse(msg, cap, E_INVALIDARG, "Container.Storage.Layers[%u].Path \"%s\" is not an absolute path",
				    i, path);
		free(w);
		out->n = i + 1;
	}
	if (FAILED(hr))
		plist_free(out);
	return hr;
}

static HRESULT check_storage(const char *sysid, const struct jval *storage, char *msg, UINT32 cap)
{
	if (storage->t == J_NULL)
		return S_OK; /* as without Storage */
	if (storage->t != J_OBJ || !json_opt_str(json_get(storage, "Path")))
		return refuse(msg, cap, HR_INVALID_JSON, "Container.Storage is not a Storage object (Path: a string)");
	const char *path = json_str(json_get(storage, "Path"));
	if (!path || !*path)
		return S_OK; /* no storage to check: accepted, as without Storage */
	WCHAR *w = to_wide(path);
	if (!w)
		return E_OUTOFMEMORY;
	struct layer *l = layer_by_volume(w);
	HRESULT hr = S_OK;
	if (!l) {
		if (_wcsnicmp(w, L"\\\\?\\Volume{", 11) == 0)
			hr = refuse(msg, cap, HR_PATH_NOT_FOUND,
				    "Container.Storage.Path %s is not the volume of a prepared layer", path);
		else if (is_dir(w))
			hr = refuse(msg, cap, HR_NOT_A_REPARSE_POINT,
				    "Container.Storage.Path %s is a plain directory, not the volume of a prepared scratch "
				    "(GetLayerMountPath gives it)", path);
		else
			hr = refuse(msg, cap, HR_PATH_NOT_FOUND, "Container.Storage.Path %s does not exist", path);
	}
	free(w);
	if (FAILED(hr))
		return hr;
	struct plist given;
	if (FAILED(hr = storage_layers(json_get(storage, "Layers"), &given, msg, cap)))
		return hr;
	char diff[400];
	if (!plist_equal(&given, &l->parents, diff, sizeof(diff)))
		hr = refuse(msg, cap, E_INVALIDARG,
			    "Container.Storage.Layers does not match the layers its scratch was prepared with "
			    "(nearest first, the base layer last): %s", diff);
	plist_free(&given);
	return SUCCEEDED(hr) ? bind_system(sysid, l->path) : hr;
}

/* A VM may not attach the sandbox.vhdx of a scratch activated on the host. */
static HRESULT check_scsi(const struct jval *scsi, char *msg, UINT32 cap)
{
	if (!scsi || scsi->t != J_OBJ)
		return S_OK;
	for (const struct jval *ctrl = scsi->kids; ctrl; ctrl = ctrl->next) {
		const struct jval *atts = json_get(ctrl, "Attachments");
		for (const struct jval *a = atts && atts->t == J_OBJ ? atts->kids : NULL; a; a = a->next) {
			const char *path = json_str(json_get(a, "Path"));
			WCHAR *w = path ? to_wide(path) : NULL, *full = NULL;
			bool busy = false;
			if (w && SUCCEEDED(norm_path(w, &full)) && wcs_same(base_name(full), L"sandbox.vhdx")) {
				WCHAR *name = (WCHAR *)base_name(full);
				if (name > full)
					name[-1] = 0; /* full is now the scratch folder */
				const struct layer *l = layer_find(full);
				busy = l && l->activations;
			}
			free(w);
			free(full);
			if (busy)
				return refuse(msg, cap, HR_SHARING_VIOLATION,
					      "VirtualMachine SCSI attachment %s: its scratch layer is activated on the host",
					      path);
		}
	}
	return S_OK;
}

/*
 * MockLayersCheckCreate checks the configuration (UTF-8 JSON) of compute
 * system id before the mock computecore.dll creates it. It returns S_OK, or
 * the HRESULT the create fails with and, in msg, why.
 */
HRESULT WINAPI MockLayersCheckCreate(const char *id, const char *config, char *msg, UINT32 cap)
{
	if (msg && cap)
		msg[0] = 0;
	struct jval *doc = json_parse(config);
	if (!id || !doc) {
		json_free(doc);
		return S_OK; /* computecore.dll reports a bad document itself */
	}
	store_lock();
	HRESULT hr = bind_system(id, NULL);
	const struct jval *storage = json_get(json_get(doc, "Container"), "Storage");
	const struct jval *vm = json_get(doc, "VirtualMachine");
	if (SUCCEEDED(hr) && storage)
		hr = check_storage(id, storage, msg, cap);
	if (SUCCEEDED(hr) && vm)
		hr = check_scsi(json_get(json_get(vm, "Devices"), "Scsi"), msg, cap);
	store_unlock();
	json_free(doc);
	return hr;
}
