/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-protocol framing: request parsing, replies and encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ys_ctl.h"

/* Parse `line`; on failure return the error reply's code and message. */
static int parse(const char *line, struct ys_ctl_request *req,
                 const char **code, const char **msg, json_t **reply)
{
	int rc = ys_ctl_request_parse(line, strlen(line), req, reply);

	if (rc != 0) {
		json_t *e = json_object_get(*reply, "error");

		assert_false(json_is_true(json_object_get(*reply, "ok")));
		*code = json_string_value(json_object_get(e, "code"));
		*msg = json_string_value(json_object_get(e, "message"));
	}
	return rc;
}

static void test_valid_request(void **state)
{
	struct ys_ctl_request req;
	json_t *reply = NULL;
	const char *code, *msg;

	(void)state;
	assert_int_equal(parse("{\"id\":7,\"cmd\":\"config.reload\",\"args\":"
	                       "{\"file\":\"/etc/ys.json\"}}",
	                       &req, &code, &msg, &reply),
	                 0);
	assert_string_equal(req.cmd, "config.reload");
	assert_int_equal(json_integer_value(req.id), 7);
	assert_string_equal(
	        json_string_value(json_object_get(req.args, "file")),
	        "/etc/ys.json");
	ys_ctl_request_free(&req);

	/* No id and no args: id is null, args an empty object. */
	assert_int_equal(
	        parse("{\"cmd\":\"status\"}", &req, &code, &msg, &reply), 0);
	assert_true(json_is_null(req.id));
	assert_true(json_is_object(req.args));
	assert_int_equal(json_object_size(req.args), 0);
	ys_ctl_request_free(&req);
}

static void test_bad_requests(void **state)
{
	static const struct {
		const char *line, *message;
	} cases[] = {
	        {"not json", "invalid JSON at column 3: '[' or '{' expected "
	                     "near 'not'"},
	        {"[1,2]", "request must be an object"},
	        {"{\"id\":\"7\",\"cmd\":\"status\"}",
	         "\"id\" must be an integer"},
	        {"{\"id\":1}", "\"cmd\" must be a non-empty string"},
	        {"{\"id\":1,\"cmd\":\"\"}",
	         "\"cmd\" must be a non-empty string"},
	        {"{\"id\":1,\"cmd\":5}", "\"cmd\" must be a non-empty string"},
	        {"{\"id\":1,\"cmd\":\"status\",\"args\":[]}",
	         "\"args\" must be an object"},
	        {"{\"id\":1,\"id\":2,\"cmd\":\"status\"}",
	         "invalid JSON at column 12: duplicate object key near "
	         "'\"id\"'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ys_ctl_request req;
		json_t *reply = NULL;
		const char *code = NULL, *msg = NULL;

		assert_int_equal(
		        parse(cases[i].line, &req, &code, &msg, &reply),
		        -EINVAL);
		assert_string_equal(code, "bad_request");
		assert_string_equal(msg, cases[i].message);
		json_decref(reply);
	}
}

/*
 * Found by fuzz_ctl_request: jansson quotes the client's bytes in its
 * error, here an invalid UTF-8 byte mid-message; the reply must still be
 * a bad_request error (invalid bytes become '?'), never no reply at all.
 */
static void test_invalid_utf8_in_error(void **state)
{
	static const char line[] = "{\"c\\\xc6\x84\x82z";
	struct ys_ctl_request req;
	const char *code = NULL, *msg = NULL;
	json_t *reply = NULL;

	(void)state;
	assert_int_equal(parse(line, &req, &code, &msg, &reply), -EINVAL);
	assert_non_null(reply);
	assert_string_equal(code, "bad_request");
	assert_non_null(strchr(msg, '?'));
	json_decref(reply);
	/* A multibyte character cut by the message limit is replaced too. */
	reply = ys_ctl_reply_error(NULL, YS_CTL_E_BAD_REQUEST, "%.*s", 3,
	                           "ab\xc3\xa9");
	assert_non_null(reply);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(reply, "error"), "message")),
	        "ab?");
	json_decref(reply);
}

static void test_replies_and_encoding(void **state)
{
	json_t *id = json_integer(3), *r;
	size_t len;
	char *line;

	(void)state;
	r = ys_ctl_reply_ok(id, json_pack("{s:i}", "n", 1));
	line = ys_ctl_encode(r, &len);
	assert_string_equal(line,
	                    "{\"id\":3,\"ok\":true,\"result\":{\"n\":1}}\n");
	assert_int_equal(len, strlen(line));
	free(line);
	json_decref(r);

	r = ys_ctl_reply_error(id, YS_CTL_E_UNKNOWN_COMMAND,
	                       "unknown command '%s'", "x");
	line = ys_ctl_encode(r, &len);
	assert_string_equal(line, "{\"id\":3,\"ok\":false,\"error\":{\"code\":"
	                          "\"unknown_command\",\"message\":"
	                          "\"unknown command 'x'\"}}\n");
	free(line);
	json_decref(r);
	json_decref(id);
}

static void test_encode_too_large(void **state)
{
	char *big = malloc(YS_CTL_MAX_LINE + 1);
	json_t *r;
	size_t len;

	(void)state;
	memset(big, 'a', YS_CTL_MAX_LINE);
	big[YS_CTL_MAX_LINE] = '\0';
	r = ys_ctl_reply_ok(NULL, json_pack("{s:s}", "s", big));
	errno = 0;
	assert_null(ys_ctl_encode(r, &len));
	assert_int_equal(errno, EMSGSIZE);
	json_decref(r);
	free(big);
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(ys_ctl_err_str(YS_CTL_E_BAD_REQUEST),
	                    "bad_request");
	assert_string_equal(ys_ctl_err_str(YS_CTL_E_CONFIG_INVALID),
	                    "config_invalid");
	assert_string_equal(ys_ctl_err_str(YS_CTL_E_INTERNAL), "internal");
	assert_string_equal(ys_ctl_err_str((enum ys_ctl_err)99), "internal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid_request),
	        cmocka_unit_test(test_bad_requests),
	        cmocka_unit_test(test_invalid_utf8_in_error),
	        cmocka_unit_test(test_replies_and_encoding),
	        cmocka_unit_test(test_encode_too_large),
	        cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
