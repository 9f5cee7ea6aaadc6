/*
 * bcryptprimitives.dll stand-in for Wine < 8.13.
 *
 * Go 1.24 and later seed their random number generator from
 * bcryptprimitives!ProcessPrng at start-up. Wine 8.0 (Debian 12) does not
 * ship that DLL, so every Go test binary would die before main. This shim
 * exports ProcessPrng and fills the buffer from BCryptGenRandom, which Wine
 * does implement. It is installed only into the test prefix, never shipped.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk,
						    BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
			return FALSE;
		data += chunk;
		len -= chunk;
	}
	return TRUE;
}
