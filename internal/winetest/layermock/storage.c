/*
 * The computestorage.dll entry points, implemented here so they share the
 * layer store with vmcompute.dll's exports (on a real host both DLLs talk
 * to the compute service). They are exported as Mock<name>; the mock
 * computestorage.dll forwards each entry point of computestorage.h to them.
 * The compiler checks each against the header's prototype.
 */
#include "layermock.h"

#include <computestorage.h>
#include <stdlib.h>
#include <string.h>

#define SAME_TYPE(mock, real)                                                          \
	_Static_assert(__builtin_types_compatible_p(__typeof__(mock), __typeof__(real)), \
		       #mock " does not match " #real " of computestorage.h")

/* Parses a JSON options document: NULL is allowed unless required. */
static HRESULT parse_options(const char *fn, PCWSTR text, bool required, struct jval **out)
{
	*out = NULL;
	if (!text)
		return required ? fail(E_INVALIDARG, "%s: options are NULL", fn) : S_OK;
	char *u = to_utf8(text);
	if (!u)
		return E_OUTOFMEMORY;
	*out = json_parse(u);
	free(u);
	if (!*out || (*out)->t != J_OBJ) {
		json_free(*out);
		*out = NULL;
		return fail(HR_INVALID_JSON, "%s: options are not a JSON object", fn);
	}
	return S_OK;
}

/* Normalizes the n paths in[i] into *out[i]. */
static HRESULT paths(WCHAR **out[], PCWSTR in[], size_t n)
{
	HRESULT hr = S_OK;
	for (size_t i = 0; i < n; i++)
		*out[i] = NULL;
	for (size_t i = 0; i < n && SUCCEEDED(hr); i++)
		hr = norm_path(in[i], out[i]);
	return hr;
}

HRESULT WINAPI MockHcsImportLayer(PCWSTR layerPath, PCWSTR sourceFolderPath, PCWSTR layerData);
SAME_TYPE(MockHcsImportLayer, HcsImportLayer);
EXPORT("HcsImportLayer", MockHcsImportLayer,
       (PCWSTR layerPath, PCWSTR sourceFolderPath, PCWSTR layerData),
       (layerPath, sourceFolderPath, layerData))
{
	WCHAR *layer = NULL, *source = NULL;
	struct plist parents = {0};
	store_lock();
	HRESULT hr = call_begin("HcsImportLayer");
	if (SUCCEEDED(hr))
		hr = paths((WCHAR **[]){&layer, &source}, (PCWSTR[]){layerPath, sourceFolderPath}, 2);
	if (SUCCEEDED(hr))
		hr = plist_from_layerdata(layerData, &parents);
	if (SUCCEEDED(hr))
		hr = layer_import(layer, source, &parents);
	store_unlock();
	plist_free(&parents);
	free(layer);
	free(source);
	return hr;
}

HRESULT WINAPI MockHcsExportLayer(PCWSTR layerPath, PCWSTR exportFolderPath, PCWSTR layerData, PCWSTR options);
SAME_TYPE(MockHcsExportLayer, HcsExportLayer);
EXPORT("HcsExportLayer", MockHcsExportLayer,
       (PCWSTR layerPath, PCWSTR exportFolderPath, PCWSTR layerData, PCWSTR opts),
       (layerPath, exportFolderPath, layerData, opts))
{
	WCHAR *layer = NULL, *folder = NULL;
	struct plist parents = {0};
	struct jval *o = NULL;
	store_lock();
	HRESULT hr = call_begin("HcsExportLayer");
	if (SUCCEEDED(hr))
		hr = paths((WCHAR **[]){&layer, &folder}, (PCWSTR[]){layerPath, exportFolderPath}, 2);
	if (SUCCEEDED(hr))
		hr = plist_from_layerdata(layerData, &parents);
	if (SUCCEEDED(hr))
		hr = parse_options("HcsExportLayer", opts, true, &o);
	const struct jval *w = json_get(o, "IsWritableLayer");
	if (SUCCEEDED(hr) && w && w->t != J_BOOL && w->t != J_NULL)
		hr = fail(HR_INVALID_JSON, "HcsExportLayer: IsWritableLayer is not a boolean");
	if (SUCCEEDED(hr))
		hr = layer_export(layer, folder, &parents, w && w->b);
	store_unlock();
	json_free(o);
	plist_free(&parents);
	free(layer);
	free(folder);
	return hr;
}

/* The prepared legacy scratch at folder, mounted at mount, over parents. */
static HRESULT legacy_writable(PCWSTR mount, PCWSTR folder, const struct plist *parents, struct layer **out)
{
	struct layer *l = layer_find(folder);
	char msg[400];
	char *u = to_utf8(folder);
	HRESULT hr = S_OK;
	if (!l || !l->prepared || l->filter)
		hr = fail(HR_NOT_READY, "%s: not prepared with PrepareLayer", u ? u : "?");
	else if (!mount || !same_path(l->volume, mount))
		hr = fail(E_INVALIDARG, "%s: the mount path is not the volume the layer was prepared on", u ? u : "?");
	else if (!plist_equal(parents, &l->parents, msg, sizeof(msg)))
		hr = fail(E_INVALIDARG, "%s: layerData does not match the prepared parents: %s", u ? u : "?", msg);
	free(u);
	*out = SUCCEEDED(hr) ? l : NULL;
	return hr;
}

HRESULT WINAPI MockHcsExportLegacyWritableLayer(PCWSTR writableLayerMountPath, PCWSTR writableLayerFolderPath,
						PCWSTR exportFolderPath, PCWSTR layerData);
SAME_TYPE(MockHcsExportLegacyWritableLayer, HcsExportLegacyWritableLayer);
EXPORT("HcsExportLegacyWritableLayer", MockHcsExportLegacyWritableLayer,
       (PCWSTR writableLayerMountPath, PCWSTR writableLayerFolderPath, PCWSTR exportFolderPath, PCWSTR layerData),
       (writableLayerMountPath, writableLayerFolderPath, exportFolderPath, layerData))
{
	WCHAR *folder = NULL, *target = NULL;
	struct plist parents = {0};
	struct layer *l;
	store_lock();
	HRESULT hr = call_begin("HcsExportLegacyWritableLayer");
	if (SUCCEEDED(hr))
		hr = paths((WCHAR **[]){&folder, &target}, (PCWSTR[]){writableLayerFolderPath, exportFolderPath}, 2);
	if (SUCCEEDED(hr))
		hr = plist_from_layerdata(layerData, &parents);
	if (SUCCEEDED(hr))
		hr = legacy_writable(writableLayerMountPath, folder, &parents, &l);
	if (SUCCEEDED(hr))
		hr = layer_export(folder, target, &parents, true);
	store_unlock();
	plist_free(&parents);
	free(folder);
	free(target);
	return hr;
}

HRESULT WINAPI MockHcsDestroyLayer(PCWSTR layerPath);
SAME_TYPE(MockHcsDestroyLayer, HcsDestroyLayer);
EXPORT("HcsDestroyLayer", MockHcsDestroyLayer, (PCWSTR layerPath), (layerPath))
{
	return on_path("HcsDestroyLayer", layerPath, layer_destroy);
}

/* Reads the Type of OsLayerOptions (optional): Container, the default,
 * or Vm (E_INVALIDARG otherwise). */
static HRESULT os_layer_type(const char *fn, PCWSTR opts, bool *vm)
{
	struct jval *o;
	HRESULT hr = parse_options(fn, opts, false, &o);
	const struct jval *t = json_get(o, "Type");
	const char *type = json_str(t);
	*vm = type && strcmp(type, "Vm") == 0;
	if (SUCCEEDED(hr) && !json_opt_str(t))
		hr = fail(HR_INVALID_JSON, "%s: options.Type is not a string", fn);
	else if (SUCCEEDED(hr) && type && !*vm && strcmp(type, "Container") != 0)
		hr = fail(E_INVALIDARG, "%s: options.Type must be Container or Vm", fn);
	json_free(o);
	return hr;
}

/*
 * Sets up the base OS layer at path, as hcsshim reports HcsSetupBaseOSLayer
 * to do (computestorage/helpers.go): for a container, the base layer's
 * Files\ get the Hives\ folder and the Layout file, which must not exist
 * yet; for a utility VM, path is the layer's UtilityVM folder, with its
 * Files\.
 */
static HRESULT setup_base(const char *fn, PCWSTR path, bool vm)
{
	if (!is_dir(path) || !has_dir(path, L"Files"))
		return fail(HR_PATH_NOT_FOUND, "%s: not a layer folder (no Files\\)", fn);
	if (vm)
		return S_OK;
	if (has_file(path, L"layerchain.json"))
		return fail(E_INVALIDARG, "%s: the layer has a layerchain.json: not a base layer", fn);
	if (has_dir(path, L"Hives") || has_file(path, L"Layout"))
		return fail(HR_ALREADY_EXISTS, "%s: the layer has Hives\\ or Layout already (HcsSetupBaseOSLayer makes them)", fn);
	WCHAR *hives = path_join(path, L"Hives"), *layout = path_join(path, L"Layout");
	HRESULT hr = hives && layout ? make_dirs(hives) : E_OUTOFMEMORY;
	if (SUCCEEDED(hr) && FAILED(hr = write_text(layout, "{\"Fake\":\"hcs mock vmcompute.dll\",\"Kind\":\"Layout\"}\n")))
		remove_tree(hives);
	free(hives);
	free(layout);
	return FAILED(hr) ? fail(hr, "%s: cannot write Hives\\ and Layout", fn) : S_OK;
}

/*
 * HcsSetupBaseOSLayer takes no disk for a container layer (hcsshim: it
 * "expects an empty vhd handle for a container layer and will error out
 * otherwise") and an attached one for a utility VM ("the base vhdx must be
 * attached"), which it leaves formatted.
 */
HRESULT WINAPI MockHcsSetupBaseOSLayer(PCWSTR layerPath, HANDLE vhdHandle, PCWSTR options);
SAME_TYPE(MockHcsSetupBaseOSLayer, HcsSetupBaseOSLayer);
EXPORT("HcsSetupBaseOSLayer", MockHcsSetupBaseOSLayer,
       (PCWSTR layerPath, HANDLE vhdHandle, PCWSTR opts),
       (layerPath, vhdHandle, opts))
{
	static const char fn[] = "HcsSetupBaseOSLayer";
	WCHAR *layer = NULL;
	bool vm = false;
	struct vhd *v = NULL;
	store_lock();
	HRESULT hr = call_begin(fn);
	if (SUCCEEDED(hr))
		hr = norm_path(layerPath, &layer);
	if (SUCCEEDED(hr))
		hr = os_layer_type(fn, opts, &vm);
	if (SUCCEEDED(hr) && !vm && vhdHandle)
		hr = fail(E_INVALIDARG, "%s: a container's base layer takes no disk (NULL)", fn);
	else if (SUCCEEDED(hr) && vm && !(v = vhd_find(vhdHandle)))
		hr = fail(E_HANDLE, "%s: not a VHD handle of the mock (MockVhdOpen)", fn);
	else if (SUCCEEDED(hr) && vm && !v->attached)
		hr = fail(HR_NOT_READY, "%s: a utility VM's disk must be attached", fn);
	if (SUCCEEDED(hr))
		hr = setup_base(fn, layer, vm);
	if (SUCCEEDED(hr) && v)
		v->formatted = true;
	store_unlock();
	free(layer);
	return hr;
}

/* The formatted mock VHD attached at volume. */
static HRESULT volume_vhd(const char *fn, PCWSTR volume)
{
	struct vhd *v = volume ? vhd_by_volume(volume) : NULL;
	if (!v)
		return fail(HR_PATH_NOT_FOUND, "%s: not the volume of an attached VHD", fn);
	if (!v->formatted)
		return fail(HR_UNRECOGNIZED_VOLUME, "%s: the VHD is not formatted (HcsFormatWritableLayerVhd)", fn);
	return S_OK;
}

HRESULT WINAPI MockHcsSetupBaseOSVolume(PCWSTR layerPath, PCWSTR volumePath, PCWSTR options);
SAME_TYPE(MockHcsSetupBaseOSVolume, HcsSetupBaseOSVolume);
EXPORT("HcsSetupBaseOSVolume", MockHcsSetupBaseOSVolume,
       (PCWSTR layerPath, PCWSTR volumePath, PCWSTR opts),
       (layerPath, volumePath, opts))
{
	WCHAR *layer = NULL;
	static const char fn[] = "HcsSetupBaseOSVolume";
	bool vm = false;
	store_lock();
	HRESULT hr = call_begin(fn);
	if (SUCCEEDED(hr))
		hr = norm_path(layerPath, &layer);
	if (SUCCEEDED(hr))
		hr = volume_vhd(fn, volumePath);
	if (SUCCEEDED(hr))
		hr = os_layer_type(fn, opts, &vm);
	if (SUCCEEDED(hr))
		hr = setup_base(fn, layer, vm);
	store_unlock();
	free(layer);
	return hr;
}

HRESULT WINAPI MockHcsInitializeWritableLayer(PCWSTR writableLayerPath, PCWSTR layerData, PCWSTR options);
SAME_TYPE(MockHcsInitializeWritableLayer, HcsInitializeWritableLayer);
EXPORT("HcsInitializeWritableLayer", MockHcsInitializeWritableLayer,
       (PCWSTR writableLayerPath, PCWSTR layerData, PCWSTR opts),
       (writableLayerPath, layerData, opts))
{
	WCHAR *path = NULL;
	struct plist parents = {0};
	store_lock();
	HRESULT hr = call_begin("HcsInitializeWritableLayer");
	if (SUCCEEDED(hr) && opts)
		hr = fail(E_INVALIDARG, "HcsInitializeWritableLayer: options are reserved and must be NULL");
	if (SUCCEEDED(hr))
		hr = norm_path(writableLayerPath, &path);
	if (SUCCEEDED(hr))
		hr = plist_from_layerdata(layerData, &parents);
	if (SUCCEEDED(hr) && !parents.n)
		hr = fail(E_INVALIDARG, "HcsInitializeWritableLayer: layerData names no parent layer");
	if (SUCCEEDED(hr) && !is_dir(path))
		hr = volume_vhd("HcsInitializeWritableLayer", path);
	struct layer *l = SUCCEEDED(hr) ? layer_get(path) : NULL;
	if (SUCCEEDED(hr) && !l)
		hr = E_OUTOFMEMORY;
	else if (l && (l->activations || l->prepared))
		hr = fail(HR_BUSY, "HcsInitializeWritableLayer: the layer is activated or attached");
	else if (l && l->writable)
		hr = fail(HR_ALREADY_EXISTS, "HcsInitializeWritableLayer: already initialized");
	if (SUCCEEDED(hr)) {
		plist_free(&l->parents);
		l->parents = parents;
		parents = (struct plist){0};
		l->writable = true;
	}
	store_unlock();
	plist_free(&parents);
	free(path);
	return hr;
}

HRESULT WINAPI MockHcsInitializeLegacyWritableLayer(PCWSTR writableLayerMountPath, PCWSTR writableLayerFolderPath,
						    PCWSTR layerData, PCWSTR options);
SAME_TYPE(MockHcsInitializeLegacyWritableLayer, HcsInitializeLegacyWritableLayer);
EXPORT("HcsInitializeLegacyWritableLayer", MockHcsInitializeLegacyWritableLayer,
       (PCWSTR writableLayerMountPath, PCWSTR writableLayerFolderPath, PCWSTR layerData, PCWSTR opts),
       (writableLayerMountPath, writableLayerFolderPath, layerData, opts))
{
	WCHAR *folder = NULL;
	struct plist parents = {0};
	struct jval *o = NULL;
	struct layer *l;
	store_lock();
	HRESULT hr = call_begin("HcsInitializeLegacyWritableLayer");
	if (SUCCEEDED(hr))
		hr = parse_options("HcsInitializeLegacyWritableLayer", opts, false, &o);
	if (SUCCEEDED(hr))
		hr = norm_path(writableLayerFolderPath, &folder);
	if (SUCCEEDED(hr))
		hr = plist_from_layerdata(layerData, &parents);
	if (SUCCEEDED(hr))
		hr = legacy_writable(writableLayerMountPath, folder, &parents, &l);
	if (SUCCEEDED(hr))
		l->writable = true;
	store_unlock();
	json_free(o);
	plist_free(&parents);
	free(folder);
	return hr;
}

HRESULT WINAPI MockHcsAttachLayerStorageFilter(PCWSTR layerPath, PCWSTR layerData);
SAME_TYPE(MockHcsAttachLayerStorageFilter, HcsAttachLayerStorageFilter);
EXPORT("HcsAttachLayerStorageFilter", MockHcsAttachLayerStorageFilter,
       (PCWSTR layerPath, PCWSTR layerData),
       (layerPath, layerData))
{
	WCHAR *layer = NULL;
	struct plist parents = {0};
	store_lock();
	HRESULT hr = call_begin("HcsAttachLayerStorageFilter");
	if (SUCCEEDED(hr))
		hr = norm_path(layerPath, &layer);
	if (SUCCEEDED(hr))
		hr = plist_from_layerdata(layerData, &parents);
	if (SUCCEEDED(hr))
		hr = layer_prepare(layer, &parents, true);
	store_unlock();
	plist_free(&parents);
	free(layer);
	return hr;
}

HRESULT WINAPI MockHcsDetachLayerStorageFilter(PCWSTR layerPath);
SAME_TYPE(MockHcsDetachLayerStorageFilter, HcsDetachLayerStorageFilter);
EXPORT("HcsDetachLayerStorageFilter", MockHcsDetachLayerStorageFilter, (PCWSTR layerPath), (layerPath))
{
	WCHAR *layer = NULL;
	store_lock();
	HRESULT hr = call_begin("HcsDetachLayerStorageFilter");
	if (SUCCEEDED(hr))
		hr = norm_path(layerPath, &layer);
	store_unlock();
	static bool detach = true;
	if (SUCCEEDED(hr))
		hr = with_use(layer, layer_unprepare, &detach);
	free(layer);
	return hr;
}

HRESULT WINAPI MockHcsFormatWritableLayerVhd(HANDLE vhdHandle);
SAME_TYPE(MockHcsFormatWritableLayerVhd, HcsFormatWritableLayerVhd);
EXPORT("HcsFormatWritableLayerVhd", MockHcsFormatWritableLayerVhd, (HANDLE vhdHandle), (vhdHandle))
{
	store_lock();
	HRESULT hr = call_begin("HcsFormatWritableLayerVhd");
	struct vhd *v = SUCCEEDED(hr) ? vhd_find(vhdHandle) : NULL;
	if (SUCCEEDED(hr) && !v)
		hr = fail(E_HANDLE, "HcsFormatWritableLayerVhd: not a VHD handle of the mock (MockVhdOpen)");
	else if (v && v->attached)
		hr = fail(HR_BUSY, "HcsFormatWritableLayerVhd: the VHD is attached; it takes an unmounted one");
	else if (v)
		v->formatted = true;
	store_unlock();
	return hr;
}

HRESULT WINAPI MockHcsGetLayerVhdMountPath(HANDLE vhdHandle, PWSTR *mountPath);
SAME_TYPE(MockHcsGetLayerVhdMountPath, HcsGetLayerVhdMountPath);
EXPORT("HcsGetLayerVhdMountPath", MockHcsGetLayerVhdMountPath,
       (HANDLE vhdHandle, PWSTR *mountPath),
       (vhdHandle, mountPath))
{
	if (mountPath)
		*mountPath = NULL;
	store_lock();
	HRESULT hr = call_begin("HcsGetLayerVhdMountPath");
	struct vhd *v = SUCCEEDED(hr) ? vhd_find(vhdHandle) : NULL;
	if (SUCCEEDED(hr) && !mountPath)
		hr = fail(E_POINTER, "HcsGetLayerVhdMountPath: mountPath is NULL");
	else if (SUCCEEDED(hr) && !v)
		hr = fail(E_HANDLE, "HcsGetLayerVhdMountPath: not a VHD handle of the mock (MockVhdOpen)");
	else if (v && !v->attached)
		hr = fail(HR_NOT_READY, "HcsGetLayerVhdMountPath: the VHD is not attached");
	else if (v && !v->formatted)
		hr = fail(HR_UNRECOGNIZED_VOLUME, "HcsGetLayerVhdMountPath: the VHD is not formatted");
	else if (v && !(*mountPath = result_string(v->volume)))
		hr = E_OUTOFMEMORY;
	store_unlock();
	return hr;
}
