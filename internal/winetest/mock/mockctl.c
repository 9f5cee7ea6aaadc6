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
	for (size_t i = 0; i < n; i++) {
		h_closed(all[i], "MockReset");
		if (all[i]->kind != HK_OP)
			((struct evsink *)all[i])->closed = true;
	}
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
	ops_release_held();
	results_reset();
	g_disconnected = false;
	g_delay_ms = 0;
	g_late_events = false;
	wake_all();
	unlock();
	ev_post(&evs, 0); /* empty in practice: every handle is closed */
}

static void add(PCWSTR function, enum fkind kind, HRESULT hr, bool sync)
{
	char *fn = utf8_dup(function);
	if (!fn)
		return;
	lock();
	fault_add(fn, kind, hr, sync);
	unlock();
	free(fn);
}

void WINAPI MockFailNext(PCWSTR function, HRESULT hr, BOOL synchronous)
{
	add(function, F_FAIL, hr, synchronous != FALSE);
}

void WINAPI MockExitDuringNext(PCWSTR function) { add(function, F_EXIT, S_OK, false); }

void WINAPI MockHoldNext(PCWSTR function) { add(function, F_HOLD, S_OK, false); }

LONG WINAPI MockHeldCalls(void) { return held_calls(); }

void WINAPI MockReleaseHeld(void)
{
	lock();
	ops_release_held();
	unlock();
}

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
	procs_disconnect(&evs);
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

/* Whether MockDisconnect is in force: the mock vmcompute.dll fails its
 * layer calls then too, as they go through the same service. */
BOOL WINAPI MockServiceDisconnected(void)
{
	lock();
	BOOL gone = g_disconnected;
	unlock();
	return gone;
}

void WINAPI MockFireLateEvents(BOOL enable)
{
	lock();
	g_late_events = enable != FALSE;
	unlock();
}

UINT32 WINAPI MockCallbacksInFlight(void) { return (UINT32)g_inflight; }

void WINAPI MockFailCreateProcessRunning(HRESULT hr)
{
	lock();
	g_fail_create_running = hr;
	unlock();
}

void WINAPI MockDropNextProcessExit(void)
{
	lock();
	g_drop_exits++;
	unlock();
}

void WINAPI MockStoppedProcessError(HRESULT hr)
{
	lock();
	g_stopped_hr = hr;
	unlock();
}

void WINAPI MockSystemExitDropsProcessExits(BOOL on)
{
	lock();
	g_sysexit_drops = on != FALSE;
	unlock();
}

void WINAPI MockInvalidStdio(BOOL on)
{
	lock();
	g_invalid_stdio = on != FALSE;
	unlock();
}
