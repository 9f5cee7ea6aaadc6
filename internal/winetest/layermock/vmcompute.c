/*
 * The layer exports of the mock vmcompute.dll (declared in vmcompute.h).
 * Each one (EXPORT) is counted and may be delayed; under the lock it starts
 * with call_begin (elevation, injected faults), names its layer from
 * DriverInfo and id, checks its parent descriptors, then runs the operation
 * of layers.c.
 */
#include "layermock.h"

#include <stdlib.h>
#include <string.h>

/* Starts call fn on the layer named by info and id (lock held). */
static HRESULT begin(const char *fn, const VMC_DRIVER_INFO *info, PCWSTR id, WCHAR **path)
{
	*path = NULL;
	HRESULT hr = call_begin(fn);
	return SUCCEEDED(hr) ? layer_path(info, id, path) : hr;
}

/* Runs op on the layer named by info and id, for the calls that take
 * nothing else. */
static HRESULT on_layer(const char *fn, const VMC_DRIVER_INFO *info, PCWSTR id, HRESULT (*op)(PCWSTR path))
{
	WCHAR *path;
	store_lock();
	HRESULT hr = begin(fn, info, id, &path);
	if (SUCCEEDED(hr))
		hr = op(path);
	store_unlock();
	free(path);
	return hr;
}

EXPORT("NameToGuid", NameToGuid, (PCWSTR name, GUID *guid), (name, guid))
{
	store_lock();
	HRESULT hr = call_begin("NameToGuid");
	if (SUCCEEDED(hr) && !guid)
		hr = fail(E_POINTER, "NameToGuid: guid is NULL");
	else if (SUCCEEDED(hr) && (!name || !*name))
		hr = fail(E_INVALIDARG, "NameToGuid: the name is NULL or empty");
	else if (SUCCEEDED(hr))
		hr = guid_of_name(name, wcslen(name), guid);
	store_unlock();
	return hr;
}

EXPORT("CreateSandboxLayer", CreateSandboxLayer,
       (const VMC_DRIVER_INFO *info, PCWSTR id, PCWSTR parent, const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount),
       (info, id, parent, layers, layerCount))
{
	WCHAR *path;
	struct plist parents = {0};
	store_lock();
	HRESULT hr = begin("CreateSandboxLayer", info, id, &path);
	if (SUCCEEDED(hr) && parent)
		hr = fail(E_INVALIDARG, "CreateSandboxLayer: parent is unused by runtimes and must be NULL");
	if (SUCCEEDED(hr))
		hr = plist_from_descriptors(layers, layerCount, &parents);
	if (SUCCEEDED(hr))
		hr = layer_create_scratch(path, &parents);
	store_unlock();
	plist_free(&parents);
	free(path);
	return hr;
}

EXPORT("ExpandSandboxSize", ExpandSandboxSize,
       (const VMC_DRIVER_INFO *info, PCWSTR id, UINT64 size),
       (info, id, size))
{
	WCHAR *path;
	store_lock();
	HRESULT hr = begin("ExpandSandboxSize", info, id, &path);
	if (SUCCEEDED(hr))
		hr = layer_expand(path, size);
	store_unlock();
	free(path);
	return hr;
}

EXPORT("ActivateLayer", ActivateLayer, (const VMC_DRIVER_INFO *info, PCWSTR id), (info, id))
{
	return on_layer("ActivateLayer", info, id, layer_activate);
}

EXPORT("DeactivateLayer", DeactivateLayer, (const VMC_DRIVER_INFO *info, PCWSTR id), (info, id))
{
	return on_layer("DeactivateLayer", info, id, layer_deactivate);
}

EXPORT("PrepareLayer", PrepareLayer,
       (const VMC_DRIVER_INFO *info, PCWSTR id, const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount),
       (info, id, layers, layerCount))
{
	WCHAR *path;
	struct plist parents = {0};
	store_lock();
	HRESULT hr = begin("PrepareLayer", info, id, &path);
	if (SUCCEEDED(hr))
		hr = plist_from_descriptors(layers, layerCount, &parents);
	if (SUCCEEDED(hr))
		hr = layer_prepare(path, &parents, false);
	store_unlock();
	plist_free(&parents);
	free(path);
	return hr;
}

EXPORT("UnprepareLayer", UnprepareLayer, (const VMC_DRIVER_INFO *info, PCWSTR id), (info, id))
{
	WCHAR *path;
	store_lock();
	HRESULT hr = begin("UnprepareLayer", info, id, &path);
	store_unlock();
	if (SUCCEEDED(hr))
		hr = with_use(path, layer_unprepare, NULL);
	free(path);
	return hr;
}

EXPORT("GetLayerMountPath", GetLayerMountPath,
       (const VMC_DRIVER_INFO *info, PCWSTR id, SIZE_T *length, PWSTR buffer),
       (info, id, length, buffer))
{
	WCHAR *path;
	store_lock();
	HRESULT hr = begin("GetLayerMountPath", info, id, &path);
	if (SUCCEEDED(hr) && !length)
		hr = fail(E_POINTER, "GetLayerMountPath: length is NULL");
	if (SUCCEEDED(hr)) {
		/* Prepared: the volume; activated, or a read-only layer: the
		 * folder itself (hcsshim: "otherwise it is expected to be the
		 * folder path at which the layer is stored"; moby's
		 * windowsfilter driver asks it of parents it never activated);
		 * an inactive scratch has none. */
		const struct layer *l = layer_find(path);
		PCWSTR mount = NULL;
		if (l && l->prepared)
			mount = layer_volume(l);
		else if (l && l->activations)
			mount = l->path;
		else if (has_dir(path, L"Files"))
			mount = path;
		SIZE_T need = mount ? wcslen(mount) + 1 : 0;
		if (!mount) {
			char *u = to_utf8(path);
			hr = fail(HR_NOT_READY, "%s: not activated", u ? u : "?");
			free(u);
		} else if (!buffer) {
			*length = need;
		} else if (*length < need) {
			hr = fail(HR_INSUFFICIENT_BUFFER, "GetLayerMountPath: the buffer holds %llu characters, %llu are needed",
				  (unsigned long long)*length, (unsigned long long)need);
			*length = need;
		} else {
			memcpy(buffer, mount, need * sizeof(WCHAR));
			*length = need;
		}
	}
	store_unlock();
	free(path);
	return hr;
}

EXPORT("DestroyLayer", DestroyLayer, (const VMC_DRIVER_INFO *info, PCWSTR id), (info, id))
{
	return on_layer("DestroyLayer", info, id, layer_destroy);
}

EXPORT("LayerExists", LayerExists,
       (const VMC_DRIVER_INFO *info, PCWSTR id, UINT32 *exists),
       (info, id, exists))
{
	WCHAR *path;
	store_lock();
	HRESULT hr = begin("LayerExists", info, id, &path);
	if (SUCCEEDED(hr) && !exists)
		hr = fail(E_POINTER, "LayerExists: exists is NULL");
	if (SUCCEEDED(hr)) {
		const struct layer *l = layer_find(path);
		*exists = is_layer(path) || (l && l->writable);
	}
	store_unlock();
	free(path);
	return hr;
}

/* ImportLayer and ExportLayer: a layer, a folder and parent descriptors. */
static HRESULT transfer(const char *fn, const VMC_DRIVER_INFO *info, PCWSTR id, PCWSTR folder,
			const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount, bool import)
{
	WCHAR *path, *dir = NULL;
	struct plist parents = {0};
	store_lock();
	HRESULT hr = begin(fn, info, id, &path);
	if (SUCCEEDED(hr))
		hr = norm_path(folder, &dir);
	if (SUCCEEDED(hr))
		hr = plist_from_descriptors(layers, layerCount, &parents);
	if (SUCCEEDED(hr) && import)
		hr = layer_import(path, dir, &parents);
	else if (SUCCEEDED(hr))
		hr = layer_export(path, dir, &parents, is_scratch(path));
	store_unlock();
	plist_free(&parents);
	free(path);
	free(dir);
	return hr;
}

EXPORT("ImportLayer", ImportLayer,
       (const VMC_DRIVER_INFO *info, PCWSTR id, PCWSTR path, const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount),
       (info, id, path, layers, layerCount))
{
	return transfer("ImportLayer", info, id, path, layers, layerCount, true);
}

EXPORT("ExportLayer", ExportLayer,
       (const VMC_DRIVER_INFO *info, PCWSTR id, PCWSTR path, const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount),
       (info, id, path, layers, layerCount))
{
	return transfer("ExportLayer", info, id, path, layers, layerCount, false);
}

EXPORT("ProcessBaseImage", ProcessBaseImage, (PCWSTR path), (path))
{
	return on_path("ProcessBaseImage", path, layer_process_base);
}

EXPORT("ProcessUtilityImage", ProcessUtilityImage, (PCWSTR path), (path))
{
	return on_path("ProcessUtilityImage", path, layer_process_utility);
}

EXPORT("GetBaseImages", GetBaseImages, (PWSTR *buffer), (buffer))
{
	store_lock();
	HRESULT hr = call_begin("GetBaseImages");
	if (SUCCEEDED(hr) && !buffer)
		hr = fail(E_POINTER, "GetBaseImages: buffer is NULL");
	if (SUCCEEDED(hr)) {
		/* The central store of shared base images holds none in the
		 * mock (moby's format: {"Images":[{"Name","Version","Path",...}]}). */
		*buffer = result_string(L"{\"Images\":[]}");
		if (!*buffer)
			hr = E_OUTOFMEMORY;
	}
	store_unlock();
	return hr;
}
