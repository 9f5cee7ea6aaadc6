/*
 * GUIDs: NameToGuid as the fakes define it, formatting, parsing, and random
 * volume GUIDs.
 *
 * Real HCS's NameToGuid algorithm is not published. Both fakes use an RFC
 * 4122 version-5 (SHA-1) UUID of the name's UTF-16LE bytes, exactly as
 * given (no case folding), in the namespace
 * {5d1b2e0c-6f3a-4e8b-9c47-8a1f0e2d3b6a}; the GUID's fields hold the UUID's
 * big-endian fields, so its string form is the UUID's. Ids from the fakes
 * therefore differ from a real host's.
 */
#include "layermock.h"

#include <bcrypt.h>
#include <stdio.h>
#include <string.h>

static const unsigned char name_space[16] = {
	0x5d, 0x1b, 0x2e, 0x0c, 0x6f, 0x3a, 0x4e, 0x8b,
	0x9c, 0x47, 0x8a, 0x1f, 0x0e, 0x2d, 0x3b, 0x6a,
};

/* SHA-1 of a then b, with the platform's provider. */
static HRESULT sha1(const void *a, ULONG an, const void *b, ULONG bn, unsigned char out[20])
{
	BCRYPT_ALG_HANDLE alg = NULL;
	BCRYPT_HASH_HANDLE h = NULL;
	NTSTATUS st = BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA1_ALGORITHM, NULL, 0);
	if (BCRYPT_SUCCESS(st))
		st = BCryptCreateHash(alg, &h, NULL, 0, NULL, 0, 0);
	if (BCRYPT_SUCCESS(st))
		st = BCryptHashData(h, (PUCHAR)a, an, 0);
	if (BCRYPT_SUCCESS(st) && bn)
		st = BCryptHashData(h, (PUCHAR)b, bn, 0);
	if (BCRYPT_SUCCESS(st))
		st = BCryptFinishHash(h, out, 20, 0);
	if (h)
		BCryptDestroyHash(h);
	if (alg)
		BCryptCloseAlgorithmProvider(alg, 0);
	return BCRYPT_SUCCESS(st) ? S_OK : E_FAIL;
}

HRESULT guid_of_name(PCWSTR name, size_t len, GUID *out)
{
	unsigned char h[20];
	if (len > (ULONG_MAX / sizeof(WCHAR)))
		return E_INVALIDARG;
	/* WCHAR strings are UTF-16LE in memory on every Windows target. */
	HRESULT hr = sha1(name_space, sizeof(name_space), name, (ULONG)(len * sizeof(WCHAR)), h);
	if (FAILED(hr))
		return hr;
	h[6] = (unsigned char)((h[6] & 0x0F) | 0x50); /* version 5 */
	h[8] = (unsigned char)((h[8] & 0x3F) | 0x80); /* RFC 4122 variant */
	out->Data1 = (DWORD)h[0] << 24 | (DWORD)h[1] << 16 | (DWORD)h[2] << 8 | h[3];
	out->Data2 = (WORD)(h[4] << 8 | h[5]);
	out->Data3 = (WORD)(h[6] << 8 | h[7]);
	memcpy(out->Data4, h + 8, 8);
	return S_OK;
}

void guid_format(const GUID *g, char out[37])
{
	snprintf(out, 37, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (unsigned long)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1],
		 g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

bool guid_parse(const char *s, GUID *out)
{
	/* The schema's pattern: 8-4-4-4-12 hex digits, no braces. */
	unsigned char b[16];
	int n = 0;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash) {
			if (s[i] != '-')
				return false;
			continue;
		}
		int hi = json_hexval(s[i]);
		if (hi < 0)
			return false;
		if (n % 2 == 0)
			b[n / 2] = (unsigned char)(hi << 4);
		else
			b[n / 2] |= (unsigned char)hi;
		n++;
	}
	if (s[36])
		return false;
	out->Data1 = (DWORD)b[0] << 24 | (DWORD)b[1] << 16 | (DWORD)b[2] << 8 | b[3];
	out->Data2 = (WORD)(b[4] << 8 | b[5]);
	out->Data3 = (WORD)(b[6] << 8 | b[7]);
	memcpy(out->Data4, b + 8, 8);
	return true;
}

HRESULT guid_random(GUID *out)
{
	NTSTATUS st = BCryptGenRandom(NULL, (PUCHAR)out, sizeof(*out), BCRYPT_USE_SYSTEM_PREFERRED_RNG);
	if (!BCRYPT_SUCCESS(st))
		return E_FAIL;
	out->Data3 = (WORD)((out->Data3 & 0x0FFF) | 0x4000); /* version 4 */
	out->Data4[0] = (unsigned char)((out->Data4[0] & 0x3F) | 0x80);
	return S_OK;
}

HRESULT volume_new(WCHAR out[64])
{
	GUID g;
	HRESULT hr = guid_random(&g);
	if (FAILED(hr))
		return hr;
	char s[37];
	guid_format(&g, s);
	static const WCHAR prefix[] = L"\\\\?\\Volume{";
	size_t n = wcslen(prefix);
	memcpy(out, prefix, n * sizeof(WCHAR));
	for (size_t i = 0; i < 36; i++)
		out[n++] = (WCHAR)s[i];
	out[n++] = L'}';
	out[n++] = L'\\';
	out[n] = 0;
	return S_OK;
}
