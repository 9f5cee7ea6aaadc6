/*
 * The test-only exports declared in mockctl.h.
 */
#include "mock.h"
#include "mockctl.h"

#include <stdlib.h>


UINT32 WINAPI MockLiveHandles(void)
{
	lock();
	UINT32 n = htab_count();
	unlock();
	return n;
}

UINT32 WINAPI MockOutstandingResults(void) { return results_outstanding(); }

UINT32 WINAPI MockResultsAllocated(void)
{
	lock();
	UINT32 n = results_allocated();
	unlock();
	return n;
}

void WINAPI MockReset(void)
{
	size_t n;
	struct evlist evs = {0};
	lock();
	struct hobj **all = htab_drain(&n);
	/* Mark every handle closed first, so stopping processes and systems
	 * queues no event for them (events already queued are dropped). */
	for (size_t i = 0; i < n; i++)
		if (all[i]->kind != HK_OP)
			((struct evsink *)all[i])->closed = true;
	for (size_t i = 0; i < n; i++) {
		switch (all[i]->kind) {
		case HK_OP: op_drop(all[i]); break;
		case HK_SYS: sys_drop(all[i], &evs); break;
		case HK_PROC: proc_drop(all[i]); break;
		}
	}
	free(all);
	systems_reset(&evs);
	procs_reset();
	faults_reset();
	results_reset();
	g_disconnected = false;
	g_delay_ms = 0;
	g_late_events = false;
	wake_all();
	unlock();
	ev_post(&evs, 0); /* empty in practice: every handle is closed */
}

static void add(PCWSTR function, HRESULT hr, bool sync, bool exit)
{
	char *fn = utf8_dup(function);
	if (!fn)
		return;
	lock();
	fault_add(fn, hr, sync, exit);
	unlock();
	free(fn);
}

void WINAPI MockFailNext(PCWSTR function, HRESULT hr, BOOL synchronous)
{
	add(function, hr, synchronous != FALSE, false);
}

void WINAPI MockExitDuringNext(PCWSTR function) { add(function, S_OK, false, true); }

void WINAPI MockSetCompletionDelay(DWORD ms)
{
	lock();
	g_delay_ms = ms;
	unlock();
}

void WINAPI MockDisconnect(void)
{
	struct evlist evs = {0};
	lock();
	g_disconnected = true;
	systems_disconnect(&evs);
	ops_disconnect();
	wake_all();
	unlock();
	ev_post(&evs, 0);
}

void WINAPI MockReconnect(void)
{
	lock();
	g_disconnected = false;
	unlock();
}

void WINAPI MockFireLateEvents(BOOL enable)
{
	lock();
	g_late_events = enable != FALSE;
	unlock();
}

UINT32 WINAPI MockCallbacksInFlight(void) { return (UINT32)g_inflight; }
