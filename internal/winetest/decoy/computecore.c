/*
 * A decoy computecore.dll for the DLL search test (security_windows_test.go
 * at the repository root): it exports nothing of HCS, only DecoyMarker, so a
 * process that loaded it instead of System32's copy is easy to tell. The
 * test puts it beside the test executable and in the current directory.
 * make wine builds it into .build/wine/decoy/, outside the folder whose DLLs
 * the harness installs into system32.
 */
#include <windows.h>

__declspec(dllexport) DWORD WINAPI DecoyMarker(void)
{
	return 0xDEC0;
}
