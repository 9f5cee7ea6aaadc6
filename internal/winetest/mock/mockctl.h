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
/* The service disconnects / comes back. */
void WINAPI MockDisconnect(void);
void WINAPI MockReconnect(void);
/* Closing a handle with a callback sends it one more event ~20 ms later. */
void WINAPI MockFireLateEvents(BOOL enable);
/* User callbacks queued or running (events) and running (completions). */
UINT32 WINAPI MockCallbacksInFlight(void);

#endif
