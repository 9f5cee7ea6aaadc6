/*
 * Container storage: before a compute system is created, the mock
 * vmcompute.dll (internal/winetest/layermock) checks its configuration
 * against the layers it prepared: Container.Storage.Path must be the volume
 * of a prepared scratch and Container.Storage.Layers its parents, and a VM
 * must not attach the sandbox.vhdx of a scratch activated on the host. To
 * refuse to unprepare a scratch under a running container, it asks back
 * through MockSystemActive (systems.c).
 */
#include "mock.h"

#include <stdio.h>

typedef HRESULT(WINAPI *check_fn)(const char *id, const char *config, char *msg, UINT32 cap);

static check_fn g_check;
static INIT_ONCE g_check_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK find_check(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	HMODULE m = LoadLibraryExW(L"vmcompute.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (m)
		g_check = (check_fn)(void (*)(void))GetProcAddress(m, "MockLayersCheckCreate");
	return TRUE;
}

HRESULT layers_check(const char *id, const char *config, const struct jval *doc, struct outcome *out)
{
	InitOnceExecuteOnce(&g_check_once, find_check, NULL, NULL);
	char msg[512] = "";
	HRESULT hr = S_OK;
	if (g_check) {
		hr = g_check(id, config, msg, sizeof(msg));
	} else if (json_get(json_get(doc, "Container"), "Storage")) {
		hr = HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
		snprintf(msg, sizeof(msg), "no mock vmcompute.dll in System32 prepared Container.Storage.Path");
	}
	if (SUCCEEDED(hr))
		return hr;
	struct sb b = {0};
	sb_addf(&b, "{\"Error\":%ld,\"ErrorMessage\":", (long)hr);
	struct sb m = {0};
	sb_addf(&m, "HcsCreateComputeSystem for compute system '%s': %s", id, msg);
	sb_str(&b, m.p ? m.p : msg);
	free(m.p);
	sb_add(&b, ",\"ErrorEvents\":[{\"Message\":");
	sb_str(&b, msg);
	sb_add(&b, ",\"Provider\":\"{17103E3F-3C6E-4677-BB17-3B267EB5BE57}\",\"EventId\":1,\"Source\":\"mock\"}]}");
	out->hr = hr;
	out->doc = sb_take(&b);
	return hr;
}
