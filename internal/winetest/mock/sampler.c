/*
 * A thread counter for BenchmarkThreads (test-only, see mockctl.h).
 *
 * A sampler written in Go runs only when Go's scheduler gives it a turn,
 * and that is exactly what thousands of threads piling up in blocking calls
 * take away: it then misses the peak. This one is a native thread that
 * never runs Go code. Each sample counts the process's threads as the OS
 * reports them (a toolhelp snapshot), and those among them that Go created
 * (their start address lies in the executable, where Go's thread entry
 * is). (Under Wine, /proc/self/status cannot stand in: Wine opens files in
 * wineserver, so "self" is the server.)
 */
#include "mock.h"
#include "mockctl.h"

#include <string.h>
#include <tlhelp32.h>

typedef LONG(NTAPI *query_thread_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
#define THREAD_QUERY_SET_WIN32_START_ADDRESS 9

static struct {
	HANDLE thread, stop;
	DWORD interval;
	uintptr_t lo, hi; /* the executable's image */
	query_thread_fn query;
	MOCK_THREAD_PEAKS peaks;
} g_sampler;

static void exe_image(uintptr_t *lo, uintptr_t *hi)
{
	const unsigned char *base = (const unsigned char *)GetModuleHandleW(NULL);
	const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)base;
	const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
	*lo = (uintptr_t)base;
	*hi = (uintptr_t)base + nt->OptionalHeader.SizeOfImage;
}

static void sample(void)
{
	DWORD pid = GetCurrentProcessId();
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
	if (snap == INVALID_HANDLE_VALUE)
		return;
	UINT32 all = 0, go = 0;
	THREADENTRY32 e = {.dwSize = sizeof(e)};
	for (BOOL ok = Thread32First(snap, &e); ok; ok = Thread32Next(snap, &e)) {
		if (e.th32OwnerProcessID != pid)
			continue;
		all++;
		HANDLE th = OpenThread(THREAD_QUERY_INFORMATION, FALSE, e.th32ThreadID);
		if (!th)
			continue; /* exited since the snapshot */
		uintptr_t start = 0;
		if (g_sampler.query &&
		    g_sampler.query(th, THREAD_QUERY_SET_WIN32_START_ADDRESS, &start, sizeof(start), NULL) == 0 &&
		    start >= g_sampler.lo && start < g_sampler.hi)
			go++;
		CloseHandle(th);
	}
	CloseHandle(snap);
	MOCK_THREAD_PEAKS *p = &g_sampler.peaks;
	p->Samples++;
	p->PeakThreads = all > p->PeakThreads ? all : p->PeakThreads;
	p->PeakGoThreads = go > p->PeakGoThreads ? go : p->PeakGoThreads;
}

static DWORD WINAPI sampler_main(void *arg)
{
	(void)arg;
	do
		sample();
	while (WaitForSingleObject(g_sampler.stop, g_sampler.interval) == WAIT_TIMEOUT);
	sample(); /* once more at the end */
	return 0;
}

BOOL WINAPI MockThreadSamplerStart(DWORD intervalMs)
{
	if (g_sampler.thread)
		return FALSE;
	memset(&g_sampler.peaks, 0, sizeof(g_sampler.peaks));
	exe_image(&g_sampler.lo, &g_sampler.hi);
	g_sampler.query = (query_thread_fn)(void (*)(void))GetProcAddress(
		GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationThread");
	g_sampler.interval = intervalMs ? intervalMs : 1;
	g_sampler.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!g_sampler.stop)
		return FALSE;
	g_sampler.thread = CreateThread(NULL, 0, sampler_main, NULL, 0, NULL);
	if (!g_sampler.thread) {
		CloseHandle(g_sampler.stop);
		g_sampler.stop = NULL;
		return FALSE;
	}
	SetThreadPriority(g_sampler.thread, THREAD_PRIORITY_HIGHEST);
	return TRUE;
}

BOOL WINAPI MockThreadSamplerStop(MOCK_THREAD_PEAKS *peaks)
{
	if (!g_sampler.thread)
		return FALSE;
	SetEvent(g_sampler.stop);
	WaitForSingleObject(g_sampler.thread, INFINITE);
	CloseHandle(g_sampler.thread);
	CloseHandle(g_sampler.stop);
	g_sampler.thread = g_sampler.stop = NULL;
	if (peaks)
		*peaks = g_sampler.peaks;
	return TRUE;
}
