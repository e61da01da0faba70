/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one control request line (common/ys_ctl.c). The bytes
 * are parsed as one line, exactly as the server's reader hands it over
 * (without its newline), then the reply the server would build is encoded:
 * the error reply on a bad request, otherwise an error quoting the
 * command (the message path that trims cut UTF-8) and an ok reply echoing
 * the arguments. Everything is freed: LeakSanitizer checks each input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ys_ctl.h"

/* Encode and free one reply; the encoding must end in its newline. */
static void encode_and_free(json_t *msg)
{
	size_t len = 0;
	char *line;

	if (msg == NULL)
		return;
	line = ys_ctl_encode(msg, &len);
	if (line != NULL && (len == 0 || line[len - 1] != '\n'))
		abort();
	free(line);
	json_decref(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ys_ctl_request req;
	json_t *err = NULL;

	if (size > YS_CTL_MAX_LINE)
		return 0; /* the server refuses longer lines unread */
	if (ys_ctl_request_parse((const char *)data, size, &req, &err) != 0) {
		if (err == NULL)
			abort(); /* every refusal has its error reply */
		encode_and_free(err);
		return 0;
	}
	if (err != NULL || req.cmd == NULL || req.id == NULL ||
	    !json_is_object(req.args))
		abort();
	encode_and_free(ys_ctl_reply_error(req.id, YS_CTL_E_UNKNOWN_COMMAND,
	                                   "unknown command \"%s\"", req.cmd));
	encode_and_free(ys_ctl_reply_ok(req.id, json_deep_copy(req.args)));
	ys_ctl_request_free(&req);
	return 0;
}
