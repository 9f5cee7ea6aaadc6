/*
 * The layer exports of vmcompute.dll, declared by us: Microsoft publishes no
 * header for them. The signatures are those runtimes have called for years
 * (hcsshim's internal/wclayer/wclayer.go declares them for Go; moby,
 * containerd and ZLayer call the same exports). Where a parameter's width is
 * not settled by that use, the comment says what the mock accepts.
 */
#ifndef HCSMOCK_VMCOMPUTE_H
#define HCSMOCK_VMCOMPUTE_H

#include <windows.h>

/* GraphDriverType: the flavour of a DriverInfo. Runtimes pass FilterDriver. */
enum {
	VMC_DIFF_DRIVER = 0,
	VMC_FILTER_DRIVER = 1
};

/* DriverInfo: a 32-bit enum, padding, then a pointer (16 bytes on 64-bit). */
typedef struct {
	UINT32 Flavour;
	PCWSTR HomeDir;
} VMC_DRIVER_INFO;

/* WC_LAYER_DESCRIPTOR: one parent layer of a call (32 bytes on 64-bit). */
typedef struct {
	GUID LayerId;
	ULONG Flags; /* bit 31: Dirty (created from a sandbox snapshot) */
	PCWSTR Path;
} VMC_LAYER_DESCRIPTOR;

HRESULT WINAPI NameToGuid(PCWSTR name, GUID *guid);
/* parent is unused by every runtime (NULL); layers are nearest first. */
HRESULT WINAPI CreateSandboxLayer(const VMC_DRIVER_INFO *info, PCWSTR id, PCWSTR parent,
				  const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount);
HRESULT WINAPI ExpandSandboxSize(const VMC_DRIVER_INFO *info, PCWSTR id, UINT64 size);
HRESULT WINAPI ActivateLayer(const VMC_DRIVER_INFO *info, PCWSTR id);
HRESULT WINAPI DeactivateLayer(const VMC_DRIVER_INFO *info, PCWSTR id);
HRESULT WINAPI PrepareLayer(const VMC_DRIVER_INFO *info, PCWSTR id,
			    const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount);
HRESULT WINAPI UnprepareLayer(const VMC_DRIVER_INFO *info, PCWSTR id);
/*
 * The two-call buffer protocol: with buffer NULL, *length receives the
 * characters needed, NUL included; then the caller passes a buffer of
 * *length characters. hcsshim passes a pointer-sized length, another
 * runtime a 32-bit one: the mock reads and writes pointer-sized values, so a
 * caller passing a 32-bit variable would see its neighbour overwritten here.
 */
HRESULT WINAPI GetLayerMountPath(const VMC_DRIVER_INFO *info, PCWSTR id, SIZE_T *length, PWSTR buffer);
HRESULT WINAPI DestroyLayer(const VMC_DRIVER_INFO *info, PCWSTR id);
HRESULT WINAPI LayerExists(const VMC_DRIVER_INFO *info, PCWSTR id, UINT32 *exists);
HRESULT WINAPI ImportLayer(const VMC_DRIVER_INFO *info, PCWSTR id, PCWSTR path,
			   const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount);
HRESULT WINAPI ExportLayer(const VMC_DRIVER_INFO *info, PCWSTR id, PCWSTR path,
			   const VMC_LAYER_DESCRIPTOR *layers, UINT32 layerCount);
HRESULT WINAPI ProcessBaseImage(PCWSTR path);
HRESULT WINAPI ProcessUtilityImage(PCWSTR path);
/* *buffer receives a LocalAlloc'ed string the caller frees with LocalFree. */
HRESULT WINAPI GetBaseImages(PWSTR *buffer);

#endif
