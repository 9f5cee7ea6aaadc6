/*
 * The mock computestorage.dll: the twelve entry points of mingw's
 * computestorage.h, compiled against that header so the compiler checks
 * their signatures. Each forwards to the mock vmcompute.dll (export
 * Mock<name>, storage.c there), which holds the layer state both DLLs share,
 * as the compute service does on a real host. Without the mock
 * vmcompute.dll in System32, every entry point fails with E_NOTIMPL.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <computestorage.h>

static HMODULE g_vmcompute;
static INIT_ONCE g_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK load(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	g_vmcompute = LoadLibraryExW(L"vmcompute.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	return TRUE;
}

/* The export name of the mock vmcompute.dll, as a function pointer. */
static void (*target(const char *name))(void)
{
	InitOnceExecuteOnce(&g_once, load, NULL, NULL);
	return g_vmcompute ? (void (*)(void))GetProcAddress(g_vmcompute, name) : NULL;
}

/* Defines entry point name(params) forwarding args to Mock<name>. */
#define FORWARD(name, params, args)                                  \
	HRESULT WINAPI name params                                   \
	{                                                            \
		__typeof__(&name) fn = (__typeof__(&name))target("Mock" #name); \
		return fn ? fn args : E_NOTIMPL;                     \
	}

FORWARD(HcsImportLayer, (PCWSTR layerPath, PCWSTR sourceFolderPath, PCWSTR layerData),
	(layerPath, sourceFolderPath, layerData))
FORWARD(HcsExportLayer, (PCWSTR layerPath, PCWSTR exportFolderPath, PCWSTR layerData, PCWSTR options),
	(layerPath, exportFolderPath, layerData, options))
FORWARD(HcsExportLegacyWritableLayer,
	(PCWSTR writableLayerMountPath, PCWSTR writableLayerFolderPath, PCWSTR exportFolderPath, PCWSTR layerData),
	(writableLayerMountPath, writableLayerFolderPath, exportFolderPath, layerData))
FORWARD(HcsDestroyLayer, (PCWSTR layerPath), (layerPath))
FORWARD(HcsSetupBaseOSLayer, (PCWSTR layerPath, HANDLE vhdHandle, PCWSTR options), (layerPath, vhdHandle, options))
FORWARD(HcsInitializeWritableLayer, (PCWSTR writableLayerPath, PCWSTR layerData, PCWSTR options),
	(writableLayerPath, layerData, options))
FORWARD(HcsInitializeLegacyWritableLayer,
	(PCWSTR writableLayerMountPath, PCWSTR writableLayerFolderPath, PCWSTR layerData, PCWSTR options),
	(writableLayerMountPath, writableLayerFolderPath, layerData, options))
FORWARD(HcsAttachLayerStorageFilter, (PCWSTR layerPath, PCWSTR layerData), (layerPath, layerData))
FORWARD(HcsDetachLayerStorageFilter, (PCWSTR layerPath), (layerPath))
FORWARD(HcsFormatWritableLayerVhd, (HANDLE vhdHandle), (vhdHandle))
FORWARD(HcsGetLayerVhdMountPath, (HANDLE vhdHandle, PWSTR *mountPath), (vhdHandle, mountPath))
FORWARD(HcsSetupBaseOSVolume, (PCWSTR layerPath, PCWSTR volumePath, PCWSTR options), (layerPath, volumePath, options))
