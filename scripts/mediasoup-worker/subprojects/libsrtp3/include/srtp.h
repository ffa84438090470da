/*
 * libsrtp 3 compatibility over libsrtp 2.5 (Debian's source, built on OpenSSL
 * by ../meson.build; the mediasoup worker is written against versatica's
 * libsrtp 3 fork).
 *
 * The worker includes <srtp.h> and uses a few 3.x forms: protect/unprotect
 * with separate in/out buffers and size_t lengths, srtp_stream_remove, and
 * two newer status codes. They are supplied here as inline C++ overloads
 * that copy into the out buffer and run 2.x's in-place calls. The worker
 * never configures an MKI, so the 2.x calls run with use_mki = 0, which is
 * what 3.x does for a stream without one.
 */
#ifndef LKC_SRTP3_COMPAT_SRTP_H
#define LKC_SRTP3_COMPAT_SRTP_H

#include <srtp2/srtp.h>

#ifdef __cplusplus

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

// Status codes libsrtp 3 added after srtp_err_status_pkt_idx_adv (27).
inline constexpr srtp_err_status_t srtp_err_status_buffer_small =
  static_cast<srtp_err_status_t>(28);
inline constexpr srtp_err_status_t srtp_err_status_cryptex_err =
  static_cast<srtp_err_status_t>(29);

namespace lkc_srtp3_compat
{
	// Copies `in` to `out` (they may be the same buffer) after checking that
	// `out` holds `in_len + room` bytes and that the result fits 2.x's int.
	inline srtp_err_status_t Stage(
	  const uint8_t* in, size_t in_len, uint8_t* out, const size_t* out_len, size_t room, int* len)
	{
		if (in == nullptr || out == nullptr || out_len == nullptr)
		{
			return srtp_err_status_bad_param;
		}
		if (in_len > static_cast<size_t>(INT_MAX) - room)
		{
			return srtp_err_status_bad_param;
		}
		if (*out_len < in_len + room)
		{
			return srtp_err_status_buffer_small;
		}
		if (out != in)
		{
			std::memmove(out, in, in_len);
		}
		*len = static_cast<int>(in_len);

		return srtp_err_status_ok;
	}
} // namespace lkc_srtp3_compat

inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtp_len, uint8_t* srtp, size_t* srtp_len, size_t mki_index)
{
	int len{ 0 };
	srtp_err_status_t err =
	  lkc_srtp3_compat::Stage(rtp, rtp_len, srtp, srtp_len, SRTP_MAX_TRAILER_LEN, &len);

	if (err != srtp_err_status_ok)
	{
		return err;
	}
	err = srtp_protect_mki(ctx, srtp, &len, 0, static_cast<unsigned int>(mki_index));
	if (err == srtp_err_status_ok)
	{
		*srtp_len = static_cast<size_t>(len);
	}

	return err;
}

inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* rtcp, size_t rtcp_len, uint8_t* srtcp, size_t* srtcp_len, size_t mki_index)
{
	int len{ 0 };
	// SRTCP also appends the 4-byte E flag + index word before the tag.
	srtp_err_status_t err =
	  lkc_srtp3_compat::Stage(rtcp, rtcp_len, srtcp, srtcp_len, SRTP_MAX_TRAILER_LEN + 4, &len);

	if (err != srtp_err_status_ok)
	{
		return err;
	}
	err = srtp_protect_rtcp_mki(ctx, srtcp, &len, 0, static_cast<unsigned int>(mki_index));
	if (err == srtp_err_status_ok)
	{
		*srtcp_len = static_cast<size_t>(len);
	}

	return err;
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtp_len, uint8_t* rtp, size_t* rtp_len)
{
	int len{ 0 };
	srtp_err_status_t err = lkc_srtp3_compat::Stage(srtp, srtp_len, rtp, rtp_len, 0, &len);

	if (err != srtp_err_status_ok)
	{
		return err;
	}
	err = srtp_unprotect(ctx, static_cast<void*>(rtp), &len);
	if (err == srtp_err_status_ok)
	{
		*rtp_len = static_cast<size_t>(len);
	}

	return err;
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcp_len, uint8_t* rtcp, size_t* rtcp_len)
{
	int len{ 0 };
	srtp_err_status_t err = lkc_srtp3_compat::Stage(srtcp, srtcp_len, rtcp, rtcp_len, 0, &len);

	if (err != srtp_err_status_ok)
	{
		return err;
	}
	err = srtp_unprotect_rtcp(ctx, static_cast<void*>(rtcp), &len);
	if (err == srtp_err_status_ok)
	{
		*rtcp_len = static_cast<size_t>(len);
	}

	return err;
}

inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return srtp_remove_stream(session, ssrc);
}

#endif /* __cplusplus */

#endif /* LKC_SRTP3_COMPAT_SRTP_H */
