/*
 * Test-only exports of the mock computecore.dll. The hcs library never calls
 * them; tests load them through a separate LazyDLL. See README.md.
 */
#ifndef HCSMOCK_MOCKCTL_H
#define HCSMOCK_MOCKCTL_H

#include <windows.h>

/* Open HCS_SYSTEM + HCS_PROCESS + HCS_OPERATION handles. */
UINT32 WINAPI MockLiveHandles(void);
/* Result strings handed out and not yet freed with LocalFree. */
UINT32 WINAPI MockOutstandingResults(void);
/* Result strings handed out since load or the last MockReset. */
UINT32 WINAPI MockResultsAllocated(void);
/* Drops every system, process, handle, fault and counter. */
void WINAPI MockReset(void);
/* The next call of function fails with hr: returned by the call itself when
 * synchronous, else through its operation (with a ResultError document). */
void WINAPI MockFailNext(PCWSTR function, HRESULT hr, BOOL synchronous);
/* Delays every asynchronous completion by ms (0: immediate, still async). */
void WINAPI MockSetCompletionDelay(DWORD ms);
/* The system exits (UnexpectedExit) while the next call of function is pending. */
void WINAPI MockExitDuringNext(PCWSTR function);
/* The service disconnects / comes back. Handles open at the disconnection
 * stay unusable (every call but close fails with HCS_E_SERVICE_DISCONNECT). */
void WINAPI MockDisconnect(void);
void WINAPI MockReconnect(void);
/* Closing a handle with a callback sends it one more event ~20 ms later. */
void WINAPI MockFireLateEvents(BOOL enable);
/* User callbacks queued or running (events) and running (completions). */
UINT32 WINAPI MockCallbacksInFlight(void);

/* A call on a NULL, bogus, closed or wrong-kind handle is fatal: the hook,
 * if set, receives the diagnostic on the calling thread and must not return
 * (package mockctl's panics); otherwise, or if it returns, the diagnostic
 * goes to stderr and the process ends with STATUS_INVALID_HANDLE. */
typedef void(WINAPI *MockFatalHook)(PCWSTR diagnostic);
void WINAPI MockSetFatalHook(MockFatalHook hook);
/* Names what runs now (a test) in later diagnostics; NULL clears it. */
void WINAPI MockSetLabel(PCWSTR label);

/* The next call of function stays pending, without acting, until
 * MockReleaseHeld (or MockReset, MockDisconnect). */
void WINAPI MockHoldNext(PCWSTR function);
void WINAPI MockReleaseHeld(void);
/* The number of calls held so far (never reset): a test that reads it
 * before MockHoldNext knows the held call has been made once it grows. */
LONG WINAPI MockHeldCalls(void);

/* The next HcsCreateProcess operation fails with hr while the process it
 * created runs on; its pipes are left to HcsGetProcessInfo. */
void WINAPI MockFailCreateProcessRunning(HRESULT hr);
/* The next process exit sends no ProcessExited. */
void WINAPI MockDropNextProcessExit(void);
/* Calls on an exited process fail with hr instead of
 * HCS_E_PROCESS_ALREADY_STOPPED; 0 restores that. */
void WINAPI MockStoppedProcessError(HRESULT hr);
/* A system's exit sends no ProcessExited to its processes' callbacks. */
void WINAPI MockSystemExitDropsProcessExits(BOOL on);
/* Streams a process does not have come back as INVALID_HANDLE_VALUE
 * instead of NULL in HCS_PROCESS_INFORMATION. */
void WINAPI MockInvalidStdio(BOOL on);

/* Thread counts of this process, sampled by a native thread of the mock
 * that never runs Go code, so a starved Go scheduler cannot skew them. */
typedef struct {
	UINT32 Samples;
	UINT32 PeakThreads;   /* toolhelp snapshot: every thread of the process */
	UINT32 PeakGoThreads; /* those whose start address is in the executable */
} MOCK_THREAD_PEAKS;
/* Starts sampling every intervalMs; FALSE if a sampler already runs. */
BOOL WINAPI MockThreadSamplerStart(DWORD intervalMs);
/* Stops the sampler and returns its peaks; FALSE if none ran. */
BOOL WINAPI MockThreadSamplerStop(MOCK_THREAD_PEAKS *peaks);

#endif
