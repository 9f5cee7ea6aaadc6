/*
 * Virtual disks. Wine's virtdisk.dll is a stub, so the mock hands out its
 * own VHD handles through test-only exports (MockVhdOpen, MockVhdAttach,
 * MockVhdDetach, MockVhdClose): a handle is the address of a struct vhd,
 * looked up among the live ones before use and never dereferenced
 * otherwise, so a bogus or closed handle gives E_HANDLE.
 */
#include "layermock.h"

#include <stdlib.h>

static struct vhd *g_vhds;

struct vhd *vhd_find(HANDLE h)
{
	for (struct vhd *v = g_vhds; v; v = v->next)
		if ((HANDLE)v == h)
			return v;
	return NULL;
}

struct vhd *vhd_by_volume(PCWSTR volume)
{
	for (struct vhd *v = g_vhds; v; v = v->next)
		if (v->attached && same_path(v->volume, volume))
			return v;
	return NULL;
}

UINT32 vhds_live(void)
{
	UINT32 n = 0;
	for (struct vhd *v = g_vhds; v; v = v->next)
		n++;
	return n;
}

static void vhd_free(struct vhd *v)
{
	free(v->path);
	free(v);
}

void vhds_reset(void)
{
	while (g_vhds) {
		struct vhd *v = g_vhds;
		g_vhds = v->next;
		vhd_free(v);
	}
}

HRESULT WINAPI MockVhdOpen(PCWSTR path, BOOL create, HANDLE *vhd)
{
	if (!vhd)
		return E_POINTER;
	*vhd = NULL;
	WCHAR *full;
	store_lock();
	HRESULT hr = norm_path(path, &full);
	if (SUCCEEDED(hr)) {
		if (create)
			hr = write_vhdx(full, true, "{\"Fake\":\"hcs mock vmcompute.dll\",\"Vhd\":true}");
		else if (!is_file(full))
			hr = HR_FILE_NOT_FOUND;
	}
	struct vhd *v = NULL;
	if (SUCCEEDED(hr) && !(v = calloc(1, sizeof(*v))))
		hr = E_OUTOFMEMORY;
	if (SUCCEEDED(hr)) {
		v->path = full;
		full = NULL;
		v->next = g_vhds;
		g_vhds = v;
		*vhd = (HANDLE)v;
	}
	store_unlock();
	free(full);
	return hr;
}

HRESULT WINAPI MockVhdAttach(HANDLE h)
{
	store_lock();
	struct vhd *v = vhd_find(h);
	HRESULT hr = !v ? E_HANDLE : v->attached ? HR_ALREADY_EXISTS : volume_new(v->volume);
	if (SUCCEEDED(hr))
		v->attached = true;
	store_unlock();
	return hr;
}

/* Whether a writable layer lives on the volume of v (lock held). */
static bool volume_in_use(const struct vhd *v)
{
	for (const struct layer *l = NULL; (l = layer_next(l));)
		if (same_path(l->path, v->volume) && (l->activations || l->prepared))
			return true;
	return false;
}

HRESULT WINAPI MockVhdDetach(HANDLE h)
{
	store_lock();
	struct vhd *v = vhd_find(h);
	HRESULT hr = !v ? E_HANDLE : !v->attached ? HR_NOT_READY : volume_in_use(v) ? HR_BUSY : S_OK;
	if (SUCCEEDED(hr)) {
		v->attached = false;
		v->volume[0] = 0;
	}
	store_unlock();
	return hr;
}

HRESULT WINAPI MockVhdClose(HANDLE h)
{
	store_lock();
	struct vhd *v = vhd_find(h);
	HRESULT hr = !v ? E_HANDLE : v->attached && volume_in_use(v) ? HR_BUSY : S_OK;
	if (SUCCEEDED(hr)) {
		for (struct vhd **pp = &g_vhds; *pp; pp = &(*pp)->next) {
			if (*pp == v) {
				*pp = v->next;
				break;
			}
		}
		vhd_free(v);
	}
	store_unlock();
	return hr;
}
