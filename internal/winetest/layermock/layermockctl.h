/*
 * Exports of the mock vmcompute.dll beyond vmcompute.h: the test-only
 * controls (Go side: internal/winetest/mockctl/layers.go), the VHD handles
 * that stand in for virtdisk.dll's, the check the mock computecore.dll calls
 * before it creates a compute system, and the computestorage.dll entry
 * points the mock computestorage.dll forwards to (storage.c). See README.md.
 */
#ifndef HCSMOCK_LAYERMOCKCTL_H
#define HCSMOCK_LAYERMOCKCTL_H

#include <windows.h>

/* Forgets every layer state, VHD handle, binding, fault, delay, counter and
 * result-string record. The layer folders on disk stay. */
void WINAPI MockLayersReset(void);
/* The next count calls of function (an export name, e.g. L"PrepareLayer" or
 * L"HcsImportLayer") fail with hr. Faults queue up; FALSE if not queued. */
BOOL WINAPI MockLayersFailNext(PCWSTR function, HRESULT hr, UINT32 count);
/* The next call of function waits ms before it starts (INFINITE: until
 * MockLayersRelease or MockLayersReset); delays queue up. FALSE if not
 * queued. */
BOOL WINAPI MockLayersDelayNext(PCWSTR function, DWORD ms);
void WINAPI MockLayersRelease(void);
/* While not elevated, every layer call fails with ERROR_PRIVILEGE_NOT_HELD. */
void WINAPI MockLayersSetElevated(BOOL elevated);
/* Calls of function since load or the last reset, failed ones included. */
UINT32 WINAPI MockLayersCalls(PCWSTR function);
/* The most calls of function that ran at the same time since then. */
UINT32 WINAPI MockLayersPeak(PCWSTR function);
/* Layers activated (prepared ones included), and layers prepared. */
UINT32 WINAPI MockLayersActivated(void);
UINT32 WINAPI MockLayersPrepared(void);
/* Result strings handed out (GetBaseImages, HcsGetLayerVhdMountPath) and
 * not yet freed with LocalFree. */
UINT32 WINAPI MockLayersOutstandingStrings(void);
/* VHD handles open. */
UINT32 WINAPI MockLayersLiveVhds(void);
/* Why the last failing call failed (UTF-8); returns the size needed. */
UINT32 WINAPI MockLayersLastError(char *buf, UINT32 cap);
/* The state of the layer at path as UTF-8 JSON: {"Path","State","Activations",
 * "Filter","Writable","Size","Volume","Parents":[{"Id","Flags","Path"}]};
 * returns the size needed. */
UINT32 WINAPI MockLayersState(PCWSTR path, char *buf, UINT32 cap);

/* Virtual disks: open (or create) a fake VHDX file, attach it (it gets a
 * volume), detach it, close the handle. */
HRESULT WINAPI MockVhdOpen(PCWSTR path, BOOL create, HANDLE *vhd);
HRESULT WINAPI MockVhdAttach(HANDLE vhd);
HRESULT WINAPI MockVhdDetach(HANDLE vhd);
HRESULT WINAPI MockVhdClose(HANDLE vhd);

/* For the mock computecore.dll (containers.c). */
HRESULT WINAPI MockLayersCheckCreate(const char *id, const char *config, char *msg, UINT32 cap);

#endif
