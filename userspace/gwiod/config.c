// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * gwiod configuration: YAML through libyaml's document API, then a
 * schema walk that copies what it accepts into struct gwiod_config.
 *
 * The document API keeps every node's position, so any message can point
 * at the exact key or value, and it lets the walk take the root keys in
 * dependency order (sources before the points that name them, points
 * before the routes that select them) whatever order the file uses.
 *
 * All or nothing: the config is built in a fresh allocation and freed
 * whole on the first error, so a caller never sees half a config.
 */
#define _GNU_SOURCE		/* strndup */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"

#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#define ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))

/* -------------------------------------------------------- allocation */

#ifdef GWIOD_CONFIG_FAULT_INJECTION
/*
 * Tests make the Nth allocation from now fail (0 = the next one; < 0 =
 * none) to walk every out-of-memory path under the leak checker.
 */
long gwiod_config_fail_alloc_countdown = -1;
long gwiod_config_alloc_calls;

static bool alloc_should_fail(void)
{
	gwiod_config_alloc_calls++;
	if (gwiod_config_fail_alloc_countdown < 0)
		return false;
	return gwiod_config_fail_alloc_countdown-- == 0;
}
#else
static inline bool alloc_should_fail(void)
{
	return false;
}
#endif

static void *config_calloc(size_t count, size_t size)
{
	if (alloc_should_fail())
		return NULL;
	/* calloc(0) may return NULL, which would read as a failure */
	return calloc(count ? count : 1, size ? size : 1);
}

static void *config_reallocarray(void *old, size_t count, size_t size)
{
	if (alloc_should_fail())
		return NULL;
	if (size && count > SIZE_MAX / size)
		return NULL;
	/* realloc(p, 0) may free p */
	return realloc(old, count && size ? count * size : 1);
}

static char *config_strndup(const char *text, size_t length)
{
	if (alloc_should_fail())
		return NULL;
	return strndup(text, length);
}

/* ------------------------------------------------------------ loader */

/* A key of a mapping as found in the file: both NULL when absent. */
struct seen_key {
	yaml_node_t *key;
	yaml_node_t *value;
};

struct loader {
	const char *name;		/* the file, for messages */
	const char *text;
	size_t text_size;
	yaml_document_t document;
	struct gwiod_config *config;
	struct gwiod_config_error *err;

	/* Nodes kept for checks that run after their item was loaded. */
	yaml_node_t **point_nodes;	/* each point's mapping */
	struct {
		yaml_node_t *points;	/* the value of points: */
		yaml_node_t *topic;	/* the value of topic: */
	} *route_keys;
	/* Point indices ordered by name, for lookups and duplicates. */
	size_t *points_by_name;
	size_t binding_capacity;
	size_t warning_capacity;
};

/* ------------------------------------------------------------ errors */

static void reset_error(struct gwiod_config_error *err, const char *name)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name);
}

static int vfail_at(struct loader *l, const yaml_mark_t *mark,
		    const char *fmt, va_list ap)
{
	l->err->line = mark->line + 1;
	l->err->column = mark->column + 1;
	vsnprintf(l->err->reason, sizeof(l->err->reason), fmt, ap);
	return -EINVAL;
}

PRINTF_LIKE(3, 4)
static int fail_at(struct loader *l, const yaml_mark_t *mark,
		   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(l, mark, fmt, ap);
	va_end(ap);
	return rc;
}

PRINTF_LIKE(3, 4)
static int fail_node(struct loader *l, const yaml_node_t *node,
		     const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(l, &node->start_mark, fmt, ap);
	va_end(ap);
	return rc;
}

static int fail_nomem(struct loader *l)
{
	l->err->line = 0;
	l->err->column = 0;
	snprintf(l->err->reason, sizeof(l->err->reason), "out of memory");
	return -ENOMEM;
}

/* libyaml counts from 0; people, editors and compilers from 1. */
static unsigned int node_line(const yaml_node_t *node)
{
	return node->start_mark.line + 1;
}

static unsigned int node_column(const yaml_node_t *node)
{
	return node->start_mark.column + 1;
}

int gwiod_config_error_format(const struct gwiod_config_error *err,
			      char *buf, size_t size)
{
	if (err->line)
		return snprintf(buf, size, "%s:%u:%u: %s", err->file,
				err->line, err->column, err->reason);
	return snprintf(buf, size, "%s: %s", err->file, err->reason);
}

PRINTF_LIKE(3, 4)
static int warn_node(struct loader *l, const yaml_node_t *node,
		     const char *fmt, ...)
{
	struct gwiod_config *config = l->config;
	struct gwiod_config_warning *warning;
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);

	if (config->warning_count == l->warning_capacity) {
		size_t capacity = l->warning_capacity ? 2 * l->warning_capacity
						      : 8;
		void *grown = config_reallocarray(config->warnings, capacity,
						  sizeof(*config->warnings));

		if (!grown)
			return fail_nomem(l);
		config->warnings = grown;
		l->warning_capacity = capacity;
	}
	warning = &config->warnings[config->warning_count];
	warning->message = config_strndup(message, strlen(message));
	if (!warning->message)
		return fail_nomem(l);
	warning->line = node_line(node);
	warning->column = node_column(node);
	config->warning_count++;
	return 0;
}

int gwiod_config_warning_format(const struct gwiod_config *config,
				size_t warning_index, char *buf, size_t size)
{
	const struct gwiod_config_warning *warning =
		&config->warnings[warning_index];

	return snprintf(buf, size, "%s:%u:%u: warning: %s", config->path,
			warning->line, warning->column, warning->message);
}

/* ----------------------------------------------------- text helpers */

/*
 * The code point at @text[*i], moving *i past it.  Scalars come out of
 * libyaml as valid UTF-8 (its reader refuses anything else, and escapes
 * are encoded), so this only guards against running off the end.
 */
static uint32_t next_code_point(const char *text, size_t length, size_t *i)
{
	const unsigned char *p = (const unsigned char *)text + *i;
	size_t width = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	uint32_t value = width == 1 ? p[0] : p[0] & (0x3f >> (width - 1));

	if (width > length - *i)
		width = length - *i;
	for (size_t k = 1; k < width; k++)
		value = value << 6 | (p[k] & 0x3f);
	*i += width;
	return value;
}

/* C0, DEL and C1 (NEL among them), and Unicode's line separators. */
static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
	       c == 0x2029;
}

/*
 * User text inside a message: cut to a readable length, on a character
 * boundary so the message stays UTF-8, and with control characters
 * masked, so a stray newline cannot forge a second line.
 */
struct quoted {
	char text[72];
};

static struct quoted quote_n(const char *text, size_t length)
{
	struct quoted q;
	size_t in = 0, out = 0;

	while (in < length) {
		size_t start = in;
		uint32_t c = next_code_point(text, length, &in);
		size_t width = is_control(c) ? 1 : in - start;

		if (out + width > sizeof(q.text) - 4) {
			in = start;
			break;
		}
		if (is_control(c))
			q.text[out] = '?';
		else
			memcpy(&q.text[out], &text[start], width);
		out += width;
	}
	if (in < length)
		memcpy(&q.text[out], "...", 3), out += 3;
	q.text[out] = '\0';
	return q;
}

#define Q(user_text) (quote_n(user_text, strlen(user_text)).text)

/* Levenshtein distance, for "did you mean"; long words never match. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t row[65], la = strlen(a), lb = strlen(b);

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t best = diagonal + (a[i - 1] != b[j - 1]);

			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb];
}

/* Close enough to be a typo: at most 2 edits, and fewer than its length. */
static bool is_near(const char *typed, const char *known, size_t *best)
{
	size_t distance = edit_distance(typed, known);

	if (distance > 2 || distance >= strlen(known) ||
	    distance >= strlen(typed) || distance >= *best)
		return false;
	*best = distance;
	return true;
}

/* ------------------------------------------------------------- nodes */

static yaml_node_t *node_at(struct loader *l, int index)
{
	return yaml_document_get_node(&l->document, index);
}

static const char *scalar_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* YAML's null: only unquoted ~, null or nothing. */
static bool is_null(const yaml_node_t *node)
{
	const char *text;

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	text = scalar_text(node);
	return !text[0] || !strcmp(text, "~") || !strcmp(text, "null") ||
	       !strcmp(text, "Null") || !strcmp(text, "NULL");
}

static const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return is_null(node) ? "nothing" : "a single value";
	default:
		return "nothing";
	}
}

static size_t sequence_length(const yaml_node_t *node)
{
	return node->data.sequence.items.top - node->data.sequence.items.start;
}

static yaml_node_t *sequence_item(struct loader *l, const yaml_node_t *node,
				  size_t i)
{
	return node_at(l, node->data.sequence.items.start[i]);
}

/* The value of @key in @mapping, or NULL. */
static yaml_node_t *mapping_get(struct loader *l, const yaml_node_t *mapping,
				const char *key)
{
	for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
	     pair < mapping->data.mapping.pairs.top; pair++) {
		yaml_node_t *key_node = node_at(l, pair->key);

		if (key_node->type == YAML_SCALAR_NODE &&
		    !strcmp(scalar_text(key_node), key))
			return node_at(l, pair->value);
	}
	return NULL;
}

/* A single, non-null value without NUL bytes, which C strings would cut. */
static int expect_scalar(struct loader *l, const yaml_node_t *node,
			 const char *key, const char *expected)
{
	if (node->type != YAML_SCALAR_NODE || is_null(node))
		return fail_node(l, node, "%s: expected %s, found %s", key,
				 expected, node_kind(node));
	if (memchr(node->data.scalar.value, '\0', node->data.scalar.length))
		return fail_node(l, node, "%s: contains a NUL character",
				 key);
	return 0;
}

static int copy_scalar(struct loader *l, const yaml_node_t *node,
		       char **target)
{
	char *copy = config_strndup(scalar_text(node),
				    node->data.scalar.length);

	if (!copy)
		return fail_nomem(l);
	free(*target);
	*target = copy;
	return 0;
}

/* ------------------------------------------------------------ values */

/*
 * Names end up in topics and are matched by route patterns, so the
 * characters that mean something there are refused rather than escaped.
 */
#define NAME_RESERVED	"/+#{}*?[]\\"

/*
 * Unicode's White_Space and control characters: invisible or ambiguous
 * in a topic or a log line, and an em space pasted from a document would
 * otherwise make two names that look the same.
 */
static bool is_space_or_control(uint32_t c)
{
	return is_control(c) || c == ' ' || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f ||
	       c == 0x3000;
}

static int check_name(struct loader *l, const yaml_node_t *node,
		      const char *key)
{
	const char *name = scalar_text(node);
	size_t length = node->data.scalar.length;

	if (!length)
		return fail_node(l, node, "%s: is empty", key);
	if (length > GWIOD_CONFIG_MAX_NAME)
		return fail_node(l, node, "%s: longer than %d bytes", key,
				 GWIOD_CONFIG_MAX_NAME);
	for (size_t i = 0; i < length;) {
		unsigned char c = name[i];
		uint32_t code_point = next_code_point(name, length, &i);

		if (is_space_or_control(code_point))
			return fail_node(l, node,
					 "%s: '%s' contains a space or control character (U+%04" PRIX32 ")",
					 key, Q(name), code_point);
		if (strchr(NAME_RESERVED, c))
			return fail_node(l, node,
					 "%s: '%s' contains '%c', which is reserved in names (any of %s)",
					 key, Q(name), c, NAME_RESERVED);
	}
	return 0;
}

static bool has_glob(const char *text)
{
	return strpbrk(text, "*?[") != NULL;
}

static int parse_bool(struct loader *l, const yaml_node_t *node,
		      const char *key, bool *target)
{
	static const char *const truths[] = { "true", "True", "TRUE" };
	static const char *const falsehoods[] = { "false", "False", "FALSE" };
	int rc = expect_scalar(l, node, key, "true or false");

	if (rc)
		return rc;
	for (size_t i = 0; i < ARRAY_SIZE(truths); i++) {
		if (!strcmp(scalar_text(node), truths[i])) {
			*target = true;
			return 0;
		}
		if (!strcmp(scalar_text(node), falsehoods[i])) {
			*target = false;
			return 0;
		}
	}
	/* yes/no/on/off were booleans in YAML 1.1, and are not here. */
	return fail_node(l, node, "%s: expected true or false, not '%s'", key,
			 Q(scalar_text(node)));
}

/* Decimal digits only: 0x, 1e3, 1_000 and 1.0 are not integers here. */
static int parse_uint(struct loader *l, const yaml_node_t *node,
		      const char *key, uint64_t min, uint64_t max,
		      uint64_t *target)
{
	const char *text, *digits;
	uint64_t value = 0;
	bool too_big = false;
	int rc = expect_scalar(l, node, key, "an integer");

	if (rc)
		return rc;
	text = scalar_text(node);
	digits = text[0] == '-' ? text + 1 : text;
	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return fail_node(l, node,
				 "%s: expected an integer from %" PRIu64
				 " to %" PRIu64 ", not '%s'",
				 key, min, max, Q(text));
	for (const char *p = digits; *p && !too_big; p++) {
		unsigned int digit = *p - '0';

		if (value > (UINT64_MAX - digit) / 10)
			too_big = true;
		else
			value = value * 10 + digit;
	}
	if (too_big || value < min || value > max ||
	    (text[0] == '-' && value))
		return fail_node(l, node,
				 "%s: %s is out of range (%" PRIu64 " to %"
				 PRIu64 ")", key, Q(text), min, max);
	*target = value;
	return 0;
}

/*
 * Plain decimal or scientific notation.  YAML's .inf and .nan are not
 * numbers a scale or deadband can take, and strtod's hex floats, "inf"
 * and "nan" are not YAML numbers, so the syntax is checked first.
 */
static bool looks_like_decimal(const char *text)
{
	const char *p = text;
	size_t mantissa_digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		mantissa_digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			mantissa_digits++;
	if (!mantissa_digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static int parse_number(struct loader *l, const yaml_node_t *node,
			const char *key, double *target)
{
	const char *text;
	double value;
	int rc = expect_scalar(l, node, key, "a number");

	if (rc)
		return rc;
	text = scalar_text(node);
	if (!looks_like_decimal(text))
		return fail_node(l, node, "%s: expected a number, not '%s'",
				 key, Q(text));
	errno = 0;
	value = strtod(text, NULL);
	/* ERANGE also flags harmless subnormals; only the ends are wrong. */
	if (!isfinite(value) || (errno == ERANGE && value == 0 &&
				 strpbrk(text, "123456789")))
		return fail_node(l, node,
				 "%s: %s is beyond what a double can hold", key,
				 Q(text));
	*target = value;
	return 0;
}

static int parse_duration(struct loader *l, const yaml_node_t *node,
			  const char *key, uint64_t min_ns, uint64_t *target)
{
	const char *reason;
	int rc = expect_scalar(l, node, key, "a duration such as 10s");

	if (rc)
		return rc;
	if (gwiod_duration_parse(scalar_text(node), target, &reason))
		return fail_node(l, node, "%s: bad duration '%s': %s", key,
				 Q(scalar_text(node)), reason);
	if (*target < min_ns) {
		if (min_ns == 1)
			return fail_node(l, node, "%s: must be longer than 0",
					 key);
		/* the only longer minimum is whole seconds */
		return fail_node(l, node,
				 "%s: %s is too short (at least %" PRIu64 "s)",
				 key, Q(scalar_text(node)),
				 min_ns / 1000000000);
	}
	return 0;
}

struct enum_name {
	const char *name;
	int value;
};

static int parse_enum(struct loader *l, const yaml_node_t *node,
		      const char *key, const struct enum_name *names,
		      size_t count, int *target)
{
	char expected[160] = "";
	size_t used = 0;
	int rc = expect_scalar(l, node, key, "a name");

	if (rc)
		return rc;
	for (size_t i = 0; i < count; i++) {
		if (!strcmp(scalar_text(node), names[i].name)) {
			*target = names[i].value;
			return 0;
		}
		used += snprintf(expected + used, sizeof(expected) - used,
				 "%s%s", i ? ", " : "", names[i].name);
		if (used >= sizeof(expected))
			used = sizeof(expected) - 1;
	}
	return fail_node(l, node, "%s: unknown value '%s' (expected %s)", key,
			 Q(scalar_text(node)), expected);
}

/* ----------------------------------------------------------- mappings */

enum value_kind {
	KIND_STRING,		/* non-empty text */
	KIND_NAME,		/* a name usable in topics: check_name() */
	KIND_PATH,		/* an absolute path */
	KIND_BOOL,
	KIND_UINT,		/* [min, max], stored in size bytes */
	KIND_NUMBER,		/* finite double */
	KIND_DURATION,		/* nanoseconds >= min */
	KIND_CUSTOM,
};

struct key_spec {
	const char *name;
	enum value_kind kind;
	bool required;
	size_t offset;		/* of the target within the mapping's struct */
	size_t size;		/* KIND_UINT */
	uint64_t min, max;	/* KIND_UINT; KIND_DURATION min */
	/* KIND_CUSTOM: parse @value into @target */
	int (*parse)(struct loader *l, yaml_node_t *value, void *target,
		     const char *key);
};

#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
#define KEY(key, kind_, type, member, required_)			\
	{ .name = key, .kind = kind_, .required = required_,		\
	  .offset = offsetof(type, member) }
#define KEY_UINT(key, type, member, min_, max_, required_)		\
	{ .name = key, .kind = KIND_UINT, .required = required_,	\
	  .offset = offsetof(type, member),				\
	  .size = MEMBER_SIZE(type, member), .min = min_, .max = max_ }
#define KEY_DURATION(key, type, member, min_)				\
	{ .name = key, .kind = KIND_DURATION,				\
	  .offset = offsetof(type, member), .min = min_ }
#define KEY_CUSTOM(key, type, member, parse_, required_)		\
	{ .name = key, .kind = KIND_CUSTOM, .required = required_,	\
	  .offset = offsetof(type, member), .parse = parse_ }

/*
 * The size of every seen[] array, which load_mapping() indexes by
 * position in the key table.  Strictly more than any table has, so that
 * seen_of() for a name a table lacks lands on a cleared entry ("not
 * given") instead of past the array; KEY_TABLE_FITS() checks each table.
 */
#define MAX_KEYS	16
#define KEY_TABLE_FITS(table)						\
	_Static_assert(ARRAY_SIZE(table) < MAX_KEYS,			\
		       #table " needs a bigger MAX_KEYS")

static size_t find_key(const struct key_spec *specs, size_t count,
		       const char *name)
{
	size_t i;

	for (i = 0; i < count && strcmp(specs[i].name, name); i++)
		;
	return i;
}

static const struct seen_key *seen_of(const struct key_spec *specs,
				      size_t count,
				      const struct seen_key *seen,
				      const char *name)
{
	return &seen[find_key(specs, count, name)];
}

static int unknown_key(struct loader *l, const yaml_node_t *key,
		       const char *where, const struct key_spec *specs,
		       size_t count)
{
	const char *typed = scalar_text(key), *suggestion = NULL;
	size_t best = SIZE_MAX, used = 0;
	char known[256] = "";

	for (size_t i = 0; i < count; i++) {
		if (is_near(typed, specs[i].name, &best))
			suggestion = specs[i].name;
		used += snprintf(known + used, sizeof(known) - used, "%s%s",
				 i ? ", " : "", specs[i].name);
		if (used >= sizeof(known))
			used = sizeof(known) - 1;
	}
	if (suggestion)
		return fail_node(l, key,
				 "unknown key '%s' in %s (did you mean '%s'?)",
				 Q(typed), where, suggestion);
	return fail_node(l, key, "unknown key '%s' in %s (expected one of: %s)",
			 Q(typed), where, known);
}

static int load_value(struct loader *l, const struct key_spec *spec,
		      yaml_node_t *value, void *target)
{
	uint64_t number;
	int rc;

	switch (spec->kind) {
	case KIND_STRING:
	case KIND_NAME:
	case KIND_PATH:
		rc = expect_scalar(l, value, spec->name,
				   spec->kind == KIND_PATH ? "a path"
							   : "a string");
		if (rc)
			return rc;
		if (spec->kind == KIND_NAME)
			rc = check_name(l, value, spec->name);
		else if (!value->data.scalar.length)
			rc = fail_node(l, value, "%s: is empty", spec->name);
		else if (spec->kind == KIND_PATH &&
			 scalar_text(value)[0] != '/')
			/* the daemon's working directory is no anchor */
			rc = fail_node(l, value,
				       "%s: '%s' must be an absolute path",
				       spec->name, Q(scalar_text(value)));
		return rc ? rc : copy_scalar(l, value, target);
	case KIND_BOOL:
		return parse_bool(l, value, spec->name, target);
	case KIND_UINT:
		rc = parse_uint(l, value, spec->name, spec->min, spec->max,
				&number);
		if (rc)
			return rc;
		switch (spec->size) {
		case 1:
			*(uint8_t *)target = number;
			break;
		case 2:
			*(uint16_t *)target = number;
			break;
		case 4:
			*(uint32_t *)target = number;
			break;
		default:
			*(uint64_t *)target = number;
			break;
		}
		return 0;
	case KIND_NUMBER:
		return parse_number(l, value, spec->name, target);
	case KIND_DURATION:
		return parse_duration(l, value, spec->name, spec->min, target);
	case KIND_CUSTOM:
		return spec->parse(l, value, target, spec->name);
	}
	return -EINVAL;
}

/*
 * Check @node's keys against @specs (unknown, duplicate, missing), then
 * load the values in table order, which is the dependency order.  @seen
 * (MAX_KEYS entries) tells the caller where each key was, for its own
 * cross-key checks.
 */
static int load_mapping(struct loader *l, yaml_node_t *node,
			const char *where, const struct key_spec *specs,
			size_t count, void *target, struct seen_key *seen)
{
	memset(seen, 0, MAX_KEYS * sizeof(*seen));
	if (node->type != YAML_MAPPING_NODE)
		return fail_node(l, node, "%s: expected a mapping (key: value), found %s",
				 where, node_kind(node));
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = node_at(l, pair->key);
		size_t i;

		if (key->type != YAML_SCALAR_NODE || is_null(key))
			return fail_node(l, key, "%s: keys must be names, found %s",
					 where, node_kind(key));
		i = find_key(specs, count, scalar_text(key));
		if (i == count)
			return unknown_key(l, key, where, specs, count);
		/* libyaml keeps duplicate keys; the last would win silently */
		if (seen[i].key)
			return fail_node(l, key,
					 "duplicate key '%s' in %s (first at line %u)",
					 specs[i].name, where,
					 node_line(seen[i].key));
		seen[i].key = key;
		seen[i].value = node_at(l, pair->value);
	}
	for (size_t i = 0; i < count; i++)
		if (specs[i].required && !seen[i].key)
			return fail_node(l, node, "%s: missing required key '%s'",
					 where, specs[i].name);
	for (size_t i = 0; i < count; i++) {
		int rc;

		if (!seen[i].value)
			continue;
		rc = load_value(l, &specs[i], seen[i].value,
				(char *)target + specs[i].offset);
		if (rc)
			return rc;
	}
	return 0;
}

static int expect_list(struct loader *l, const yaml_node_t *node,
		       const char *key, const char *example)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return fail_node(l, node, "%s: expected a list (%s), found %s",
				 key, example, node_kind(node));
	if (!sequence_length(node))
		return fail_node(l, node, "%s: the list is empty", key);
	return 0;
}

/* ---------------------------------------------------------- durations */

static const struct {
	const char *name;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 },		/* µs, MICRO SIGN */
	{ "ms", 1000000 },
	{ "s", 1000000000 },
	{ "m", 60 * 1000000000ull },
	{ "h", 3600 * 1000000000ull },
	{ "d", 86400 * 1000000000ull },
};

static bool is_unit_char(char c)
{
	/* letters, and the bytes of µ */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (unsigned char)c >= 0x80;
}

static bool find_unit(const char *start, const char *end, uint64_t *unit_ns)
{
	for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
		if (strlen(duration_units[i].name) == (size_t)(end - start) &&
		    !memcmp(duration_units[i].name, start, end - start)) {
			*unit_ns = duration_units[i].ns;
			return true;
		}
	}
	return false;
}

static const char *match_unit(const char **cursor, uint64_t *unit_ns)
{
	const char *start = *cursor, *end = start;

	while (*start == ' ' || *start == '\t')
		start++;
	for (end = start; is_unit_char(*end); end++)
		;
	if (end == start)
		return "needs a unit: ns, us, ms, s, m, h or d (e.g. 10s)";
	if (!find_unit(start, end, unit_ns))
		return "unknown unit (use ns, us, ms, s, m, h or d)";
	if (start != *cursor)
		return "no space is allowed inside a duration (write 10s)";
	*cursor = end;
	return NULL;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t rest = a % b;

		a = b;
		b = rest;
	}
	return a;
}

int gwiod_duration_parse(const char *text, uint64_t *ns, const char **reason)
{
	/*
	 * Up to 10^16: the longest unit, a day, is 2^16 * 3^3 * 5^11 ns, so
	 * a fraction whose last non-zero digit is further out than the 16th
	 * is never whole nanoseconds in any unit.
	 */
	static const uint64_t powers_of_ten[] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
		100000000, 1000000000, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull,
	};
	const size_t max_fraction_digits = ARRAY_SIZE(powers_of_ten) - 1;
	const char *p = text, *problem = NULL;
	uint64_t total = 0;

	if (!*p)
		problem = "is empty";
	else if (*p == '-')
		problem = "is negative";
	while (!problem && *p) {
		uint64_t whole = 0, fraction = 0, unit_ns = 0, part;
		uint64_t divisor, common;
		size_t digits = 0, fraction_digits = 0;

		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			if (whole > (UINT64_MAX - (*p - '0')) / 10)
				break;
			whole = whole * 10 + (*p - '0');
		}
		if (*p >= '0' && *p <= '9') {
			problem = "is too long (more than 584 years)";
			break;
		}
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
				if (fraction_digits < max_fraction_digits) {
					fraction = fraction * 10 + (*p - '0');
					fraction_digits++;
				} else if (*p != '0') {
					problem = "is finer than a nanosecond";
					break;
				}
			}
			if (problem)
				break;
		}
		if (!digits) {
			problem = "expected a number followed by a unit (e.g. 10s)";
			break;
		}
		problem = match_unit(&p, &unit_ns);
		if (problem)
			break;
		/*
		 * fraction / 10^digits of the unit, in lowest terms, so that
		 * 0.00000000005m (3 ns) is whole although a minute is not a
		 * multiple of 10^11 ns.  Less than one unit: no overflow.
		 */
		divisor = powers_of_ten[fraction_digits];
		common = gcd(fraction, divisor);
		fraction /= common;
		divisor /= common;
		if (unit_ns % divisor) {
			problem = "is finer than a nanosecond";
			break;
		}
		part = fraction * (unit_ns / divisor);
		if (whole > (UINT64_MAX - part) / unit_ns ||
		    whole * unit_ns + part > UINT64_MAX - total) {
			problem = "is too long (more than 584 years)";
			break;
		}
		total += whole * unit_ns + part;
	}
	if (reason)
		*reason = problem;
	if (problem)
		return -EINVAL;
	*ns = total;
	return 0;
}

/* ------------------------------------------------------------- topics */

struct topic_writer {
	char *buf;
	size_t size;
	size_t length;		/* of the whole expansion so far */
	size_t level_length;	/* of the level being written */
	char *why;
	size_t why_size;
};

PRINTF_LIKE(2, 3)
static int topic_fail(struct topic_writer *w, const char *fmt, ...)
{
	va_list ap;

	if (w->why && w->why_size) {
		va_start(ap, fmt);
		vsnprintf(w->why, w->why_size, fmt, ap);
		va_end(ap);
	}
	if (w->size)
		w->buf[0] = '\0';
	return -EINVAL;
}

/* @origin names the placeholder the text came from; NULL for literal. */
static int topic_put(struct topic_writer *w, const char *text, size_t length,
		     const char *origin)
{
	const char *from = origin ? origin : "the template";

	for (size_t i = 0; i < length; i++) {
		char c = text[i];

		if (c == '+' || c == '#')
			return topic_fail(w, "the MQTT wildcard '%c' (from %s) cannot be published to",
					  c, from);
		if (c == '$' && w->length == 0)
			return topic_fail(w, "topics starting with '$' (from %s) are reserved for the broker",
					  from);
		if (c == '/') {
			if (!w->level_length)
				return topic_fail(w, "empty topic level (a leading '/' or '//', from %s)",
						  from);
			w->level_length = 0;
		} else {
			w->level_length++;
		}
		if (w->length >= GWIOD_TOPIC_MAX)
			return topic_fail(w, "longer than %d bytes",
					  GWIOD_TOPIC_MAX);
		if (w->length + 1 < w->size)
			w->buf[w->length] = c;
		w->length++;
	}
	return 0;
}

static const char *const placeholders[] = {
	"site", "source", "point", "device", "channel",
};

int gwiod_topic_expand(const char *topic_template,
		       const struct gwiod_topic_fields *fields,
		       char *buf, size_t size, char *why, size_t why_size)
{
	struct topic_writer w = {
		.buf = buf, .size = size, .why = why, .why_size = why_size,
	};
	const char *p = topic_template;
	int rc;

	while (*p) {
		const char *close, *value = NULL;
		char channel[24], origin[16];
		size_t name_length, i;

		if (*p == '}')
			return topic_fail(&w, "'}' at offset %zu closes no '{'",
					  (size_t)(p - topic_template));
		if (*p != '{') {
			size_t run = strcspn(p, "{}");

			rc = topic_put(&w, p, run, NULL);
			if (rc)
				return rc;
			p += run;
			continue;
		}
		close = strpbrk(p + 1, "{}");
		if (!close || *close == '{')
			return topic_fail(&w, "'{' at offset %zu is not closed",
					  (size_t)(p - topic_template));
		name_length = close - (p + 1);
		for (i = 0; i < ARRAY_SIZE(placeholders); i++)
			if (strlen(placeholders[i]) == name_length &&
			    !memcmp(placeholders[i], p + 1, name_length))
				break;
		if (i == ARRAY_SIZE(placeholders))
			return topic_fail(&w, "unknown placeholder {%s} (known: {site} {source} {point} {device} {channel})",
					  quote_n(p + 1, name_length).text);
		switch (i) {
		case 0:
			value = fields->site;
			break;
		case 1:
			value = fields->source;
			break;
		case 2:
			value = fields->point;
			break;
		case 3:
			value = fields->device;
			break;
		default:
			if (fields->channel >= 0) {
				snprintf(channel, sizeof(channel), "%ld",
					 fields->channel);
				value = channel;
			}
			break;
		}
		if (!value)
			return topic_fail(&w, "{%s} is not available in this topic",
					  placeholders[i]);
		snprintf(origin, sizeof(origin), "{%s}", placeholders[i]);
		rc = topic_put(&w, value, strlen(value), origin);
		if (rc)
			return rc;
		p = close + 1;
	}
	if (!w.length)
		return topic_fail(&w, "the topic is empty");
	if (!w.level_length)
		return topic_fail(&w, "empty topic level (a trailing '/')");
	if (size)
		buf[w.length < size ? w.length : size - 1] = '\0';
	return (int)w.length;
}

/*
 * Expand into a fresh string; messages are prefixed with the key and
 * located at @node, the template's value in the file.
 */
static int expand_topic(struct loader *l, const yaml_node_t *node,
			const char *key, const char *topic_template,
			const struct gwiod_topic_fields *fields, char **out)
{
	char why[256];
	int length = gwiod_topic_expand(topic_template, fields, NULL, 0, why,
					sizeof(why));

	if (length < 0)
		return fail_node(l, node, "%s: '%s': %s", key,
				 Q(topic_template), why);
	*out = config_calloc(length + 1, 1);
	if (!*out)
		return fail_nomem(l);
	gwiod_topic_expand(topic_template, fields, *out, length + 1, NULL, 0);
	return 0;
}

/* ------------------------------------------------------------- broker */

static int parse_tls(struct loader *l, yaml_node_t *node, void *target,
		     const char *key)
{
	static const struct key_spec specs[] = {
		KEY("ca", KIND_PATH, struct gwiod_config_tls, ca_file, false),
		KEY("cert", KIND_PATH, struct gwiod_config_tls, cert_file,
		    false),
		KEY("key", KIND_PATH, struct gwiod_config_tls, key_file,
		    false),
		KEY("insecure", KIND_BOOL, struct gwiod_config_tls, insecure,
		    false),
	};
	KEY_TABLE_FITS(specs);
	const size_t count = ARRAY_SIZE(specs);
	struct gwiod_config_tls *tls = target;
	struct seen_key seen[MAX_KEYS];
	int rc;

	if (node->type == YAML_SCALAR_NODE && !is_null(node))
		return fail_node(l, node,
				 "%s: expected a mapping such as {ca: /etc/ssl/certs/ca.pem}; write tls: {} for TLS with the system's CAs",
				 key);
	rc = load_mapping(l, node, "tls", specs, count, tls, seen);
	if (rc)
		return rc;
	tls->enabled = true;
	/* a key without its certificate (or the reverse) cannot log in */
	if (!tls->cert_file != !tls->key_file) {
		const struct seen_key *given =
			seen_of(specs, count, seen,
				tls->cert_file ? "cert" : "key");

		return fail_node(l, given->key,
				 "tls: '%s' needs '%s' as well (mutual TLS takes both)",
				 tls->cert_file ? "cert" : "key",
				 tls->cert_file ? "key" : "cert");
	}
	if (tls->insecure)
		return warn_node(l, seen_of(specs, count, seen,
					    "insecure")->key,
				 "tls.insecure: the broker's certificate is not verified, anyone on the path can pose as the broker");
	return 0;
}

static int parse_protocol(struct loader *l, yaml_node_t *node, void *target,
			  const char *key)
{
	static const struct enum_name names[] = {
		{ "3.1.1", GWIOD_MQTT_3_1_1 },
		{ "5", GWIOD_MQTT_5 },
		{ "5.0", GWIOD_MQTT_5 },
	};
	int value;
	int rc = parse_enum(l, node, key, names, ARRAY_SIZE(names), &value);

	if (!rc)
		*(enum gwiod_mqtt_protocol *)target = value;
	return rc;
}

/*
 * MQTT's keepalive is whole seconds, so a bare number means seconds.
 * libmosquitto refuses less than 5 s at connect time: refuse it here.
 */
#define KEEPALIVE_MIN_S		5

static int parse_keepalive(struct loader *l, yaml_node_t *node, void *target,
			   const char *key)
{
	uint64_t seconds, ns;
	int rc = expect_scalar(l, node, key, "seconds");

	if (rc)
		return rc;
	if (strspn(scalar_text(node), "-0123456789") ==
	    node->data.scalar.length) {
		rc = parse_uint(l, node, key, KEEPALIVE_MIN_S, 65535, &seconds);
	} else {
		rc = parse_duration(l, node, key, 0, &ns);
		if (rc)
			return rc;
		seconds = ns / 1000000000;
		if (ns % 1000000000)
			return fail_node(l, node, "%s: must be whole seconds",
					 key);
		if (seconds < KEEPALIVE_MIN_S || seconds > 65535)
			return fail_node(l, node,
					 "%s: %s is out of range (5s to 65535s)",
					 key, Q(scalar_text(node)));
	}
	if (!rc)
		*(uint16_t *)target = seconds;
	return rc;
}

/* MQTT sends strings with a 16-bit length; a longer one cannot connect. */
#define MQTT_STRING_MAX		65535

static int parse_broker(struct loader *l, yaml_node_t *node, void *target,
			const char *key)
{
	static const char *const mqtt_strings[] = {
		"client_id", "username", "password",
	};
	static const struct key_spec specs[] = {
		KEY("host", KIND_STRING, struct gwiod_config_broker, host,
		    true),
		KEY_UINT("port", struct gwiod_config_broker, port, 1, 65535,
			 false),
		KEY("client_id", KIND_STRING, struct gwiod_config_broker,
		    client_id, false),
		KEY("username", KIND_STRING, struct gwiod_config_broker,
		    username, false),
		KEY("password", KIND_STRING, struct gwiod_config_broker,
		    password, false),
		KEY("password_file", KIND_PATH, struct gwiod_config_broker,
		    password_file, false),
		KEY_CUSTOM("keepalive", struct gwiod_config_broker,
			   keepalive_s, parse_keepalive, false),
		KEY_CUSTOM("protocol", struct gwiod_config_broker, protocol,
			   parse_protocol, false),
		KEY_CUSTOM("tls", struct gwiod_config_broker, tls, parse_tls,
			   false),
		KEY("status_topic", KIND_STRING, struct gwiod_config_broker,
		    status_topic, false),
		/* more often than 1 Hz is load, not health */
		KEY_DURATION("health_interval", struct gwiod_config_broker,
			     health_interval_ns, 1000000000),
	};
	KEY_TABLE_FITS(specs);
	const size_t count = ARRAY_SIZE(specs);
	struct gwiod_config_broker *broker = target;
	struct seen_key seen[MAX_KEYS];
	const struct seen_key *status;
	struct gwiod_topic_fields fields = {
		.site = l->config->site, .channel = -1,
	};
	char *status_template;
	int rc;

	(void)key;
	broker->keepalive_s = 30;
	broker->protocol = GWIOD_MQTT_3_1_1;
	broker->health_interval_ns = 10 * 1000000000ull;
	rc = load_mapping(l, node, "broker", specs, count, broker, seen);
	if (rc)
		return rc;

	for (size_t i = 0; i < ARRAY_SIZE(mqtt_strings); i++) {
		const yaml_node_t *value =
			seen_of(specs, count, seen, mqtt_strings[i])->value;

		if (value && value->data.scalar.length > MQTT_STRING_MAX)
			return fail_node(l, value,
					 "%s: longer than %d bytes, the most MQTT can send",
					 mqtt_strings[i], MQTT_STRING_MAX);
	}
	if (strstr(broker->host, "://"))
		return fail_node(l, seen_of(specs, count, seen, "host")->value,
				 "host: '%s' is a URL; give the bare host name and set port: and tls: instead",
				 Q(broker->host));
	if (!seen_of(specs, count, seen, "port")->key)
		broker->port = broker->tls.enabled ? 8883 : 1883;
	if (broker->password && broker->password_file)
		return fail_node(l, seen_of(specs, count, seen,
					    "password_file")->key,
				 "broker: give password or password_file, not both");
	if ((broker->password || broker->password_file) &&
	    !broker->username && broker->protocol == GWIOD_MQTT_3_1_1)
		return fail_node(l, seen_of(specs, count, seen,
					    broker->password ? "password"
							     : "password_file")->key,
				 "broker: MQTT 3.1.1 sends a password only with a username (add username:, or use protocol: 5)");
	if (!broker->client_id) {
		char id[sizeof("gwiod-") + GWIOD_CONFIG_MAX_NAME];

		snprintf(id, sizeof(id), "gwiod-%s", l->config->site);
		broker->client_id = config_strndup(id, strlen(id));
		if (!broker->client_id)
			return fail_nomem(l);
	}

	status = seen_of(specs, count, seen, "status_topic");
	status_template = broker->status_topic;
	broker->status_topic = NULL;
	rc = expand_topic(l, status->value ? status->value : node,
			  "status_topic",
			  status_template ? status_template
					  : "{site}/gwiod/status",
			  &fields, &broker->status_topic);
	free(status_template);
	return rc;
}

/* ------------------------------------------------------------ sources */

static int parse_source_type(struct loader *l, yaml_node_t *node,
			     void *target, const char *key)
{
	static const struct enum_name names[] = {
		{ "gwio", GWIOD_SOURCE_GWIO },
	};
	int value;
	int rc = parse_enum(l, node, key, names, ARRAY_SIZE(names), &value);

	if (!rc)
		*(enum gwiod_source_type *)target = value;
	return rc;
}

/*
 * Keys differ per source type (a Modbus source will want host and unit
 * id, not a device file), so each type has its own table; name and type
 * head every table.
 */
static const struct key_spec gwio_source_keys[] = {
	KEY("name", KIND_NAME, struct gwiod_config_source, name, true),
	KEY_CUSTOM("type", struct gwiod_config_source, type,
		   parse_source_type, true),
	KEY("device", KIND_PATH, struct gwiod_config_source, gwio.device,
	    true),
};
#define GWIO_SOURCE_KEY_COUNT ARRAY_SIZE(gwio_source_keys)
KEY_TABLE_FITS(gwio_source_keys);

static int load_source(struct loader *l, yaml_node_t *node, size_t index)
{
	struct gwiod_config_source *source = &l->config->sources[index];
	struct seen_key seen[MAX_KEYS];
	yaml_node_t *type, *device;
	const char *base;
	int rc;

	if (node->type != YAML_MAPPING_NODE)
		return fail_node(l, node, "sources: each source is a mapping (- name: ..., type: ...), found %s",
				 node_kind(node));
	type = mapping_get(l, node, "type");
	if (!type)
		return fail_node(l, node,
				 "source: missing required key 'type' (gwio)");
	rc = parse_source_type(l, type, &source->type, "type");
	if (rc)
		return rc;
	/* one table per type; only gwio so far */
	rc = load_mapping(l, node, "a gwio source", gwio_source_keys,
			  GWIO_SOURCE_KEY_COUNT, source, seen);
	if (rc)
		return rc;

	device = seen_of(gwio_source_keys, GWIO_SOURCE_KEY_COUNT, seen,
			 "device")->value;
	source->device_index = index;
	source->line = node_line(node);
	source->column = node_column(node);
	base = strrchr(source->gwio.device, '/') + 1;
	if (!*base)
		return fail_node(l, device,
				 "device: '%s' names a directory, not a device",
				 Q(source->gwio.device));
	source->device_name = config_strndup(base, strlen(base));
	if (!source->device_name)
		return fail_nomem(l);

	for (size_t i = 0; i < index; i++) {
		const struct gwiod_config_source *other =
			&l->config->sources[i];

		if (!strcmp(other->name, source->name))
			return fail_node(l, seen_of(gwio_source_keys,
						    GWIO_SOURCE_KEY_COUNT,
						    seen, "name")->value,
					 "duplicate source name '%s' (first at line %u)",
					 source->name, other->line);
		if (!strcmp(other->gwio.device, source->gwio.device))
			return fail_node(l, device,
					 "device %s is already source '%s' (line %u)",
					 Q(source->gwio.device), other->name,
					 other->line);
	}
	return 0;
}

static int parse_sources(struct loader *l, yaml_node_t *node, void *target,
			 const char *key)
{
	struct gwiod_config *config = l->config;
	size_t count;
	int rc = expect_list(l, node, key, "- name: ring0");

	(void)target;
	if (rc)
		return rc;
	count = sequence_length(node);
	if (count > GWIOD_MAX_DEVICES)
		return fail_node(l, node, "%s: more than %d sources", key,
				 GWIOD_MAX_DEVICES);
	config->sources = config_calloc(count, sizeof(*config->sources));
	if (!config->sources)
		return fail_nomem(l);
	config->source_count = count;
	for (size_t i = 0; i < count; i++) {
		rc = load_source(l, sequence_item(l, node, i), i);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------- points */

static int parse_point_source(struct loader *l, yaml_node_t *node,
			      void *target, const char *key)
{
	const struct gwiod_config *config = l->config;
	const char *name, *suggestion = NULL;
	size_t best = SIZE_MAX;
	int rc = expect_scalar(l, node, key, "a source name");

	if (rc)
		return rc;
	name = scalar_text(node);
	for (size_t i = 0; i < config->source_count; i++) {
		if (!strcmp(config->sources[i].name, name)) {
			*(size_t *)target = i;
			return 0;
		}
		if (is_near(name, config->sources[i].name, &best))
			suggestion = config->sources[i].name;
	}
	if (suggestion)
		return fail_node(l, node,
				 "source: unknown source '%s' (did you mean '%s'?)",
				 Q(name), suggestion);
	return fail_node(l, node, "source: unknown source '%s'", Q(name));
}

static int parse_scale(struct loader *l, yaml_node_t *node, void *target,
		       const char *key)
{
	int rc = parse_number(l, node, key, target);

	/* 0 is what a forgotten field looks like, and no measurement */
	if (!rc && *(double *)target == 0)
		return fail_node(l, node, "%s: must not be 0", key);
	return rc;
}

static int parse_deadband(struct loader *l, yaml_node_t *node, void *target,
			  const char *key)
{
	int rc = parse_number(l, node, key, target);

	if (!rc && *(double *)target < 0)
		return fail_node(l, node, "%s: must not be negative", key);
	return rc;
}

static const struct key_spec point_keys[] = {
	KEY("name", KIND_NAME, struct gwiod_config_point, name, true),
	KEY_CUSTOM("source", struct gwiod_config_point, source,
		   parse_point_source, false),
	KEY_UINT("channel", struct gwiod_config_point, channel, 0, 65535,
		 true),
	KEY("unit", KIND_STRING, struct gwiod_config_point, unit, false),
	KEY_CUSTOM("scale", struct gwiod_config_point, scale, parse_scale,
		   false),
	KEY("offset", KIND_NUMBER, struct gwiod_config_point, offset, false),
	KEY_CUSTOM("deadband", struct gwiod_config_point, deadband,
		   parse_deadband, false),
};
#define POINT_KEY_COUNT ARRAY_SIZE(point_keys)
KEY_TABLE_FITS(point_keys);

static int load_point(struct loader *l, yaml_node_t *node, size_t index)
{
	struct gwiod_config_point *point = &l->config->points[index];
	struct seen_key seen[MAX_KEYS];
	int rc;

	if (node->type != YAML_MAPPING_NODE)
		return fail_node(l, node, "points: each point is a mapping (- name: ..., channel: ...), found %s",
				 node_kind(node));
	point->scale = 1;
	rc = load_mapping(l, node, "point", point_keys, POINT_KEY_COUNT,
			  point, seen);
	if (rc)
		return rc;
	if (!seen_of(point_keys, POINT_KEY_COUNT, seen, "source")->key) {
		/* nothing to choose from with one source */
		if (l->config->source_count > 1)
			return fail_node(l, node,
					 "point: missing required key 'source' (there is more than one source)");
		point->source = 0;
	}
	point->line = node_line(node);
	point->column = node_column(node);
	l->point_nodes[index] = node;
	return 0;
}

struct point_key {
	const char *name;
	size_t source;
	uint16_t channel;
	size_t index;
};

static int compare_point_names(const void *a, const void *b)
{
	const struct point_key *x = a, *y = b;
	int order = strcmp(x->name, y->name);

	if (order)
		return order;
	return (x->index > y->index) - (x->index < y->index);
}

static int compare_point_channels(const void *a, const void *b)
{
	const struct point_key *x = a, *y = b;

	if (x->source != y->source)
		return (x->source > y->source) - (x->source < y->source);
	if (x->channel != y->channel)
		return (x->channel > y->channel) - (x->channel < y->channel);
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Sorted, duplicates are neighbours.  The one reported is the earliest
 * repeat in the file, as a reader going down the file would find it.
 */
static int check_point_duplicates(struct loader *l)
{
	const struct gwiod_config *config = l->config;
	size_t count = config->point_count, later = SIZE_MAX, earlier = 0;
	struct point_key *keys = config_calloc(count, sizeof(*keys));
	int rc = 0;

	if (!keys)
		return fail_nomem(l);
	for (size_t i = 0; i < count; i++)
		keys[i] = (struct point_key){
			.name = config->points[i].name,
			.source = config->points[i].source,
			.channel = config->points[i].channel,
			.index = i,
		};

	qsort(keys, count, sizeof(*keys), compare_point_names);
	for (size_t i = 0; i < count; i++)
		l->points_by_name[i] = keys[i].index;
	for (size_t i = 1; i < count; i++)
		if (!strcmp(keys[i].name, keys[i - 1].name) &&
		    keys[i].index < later) {
			later = keys[i].index;
			earlier = keys[i - 1].index;
		}
	if (later != SIZE_MAX) {
		rc = fail_node(l, mapping_get(l, l->point_nodes[later], "name"),
			       "duplicate point name '%s' (first at line %u)",
			       config->points[later].name,
			       config->points[earlier].line);
		goto out;
	}

	qsort(keys, count, sizeof(*keys), compare_point_channels);
	for (size_t i = 1; i < count; i++)
		if (keys[i].source == keys[i - 1].source &&
		    keys[i].channel == keys[i - 1].channel &&
		    keys[i].index < later) {
			later = keys[i].index;
			earlier = keys[i - 1].index;
		}
	if (later != SIZE_MAX) {
		const struct gwiod_config_point *first =
			&config->points[earlier];

		rc = fail_node(l, mapping_get(l, l->point_nodes[later],
					      "channel"),
			       "channel %u of source '%s' is already point '%s' (line %u); to publish a channel several ways, list one point in several routes",
			       first->channel,
			       config->sources[first->source].name,
			       first->name, first->line);
	}
out:
	free(keys);
	return rc;
}

static int parse_points(struct loader *l, yaml_node_t *node, void *target,
			const char *key)
{
	struct gwiod_config *config = l->config;
	size_t count;
	int rc = expect_list(l, node, key, "- name: temp1");

	(void)target;
	if (rc)
		return rc;
	count = sequence_length(node);
	config->points = config_calloc(count, sizeof(*config->points));
	l->point_nodes = config_calloc(count, sizeof(*l->point_nodes));
	l->points_by_name = config_calloc(count, sizeof(*l->points_by_name));
	if (!config->points || !l->point_nodes || !l->points_by_name)
		return fail_nomem(l);
	config->point_count = count;
	for (size_t i = 0; i < count; i++) {
		rc = load_point(l, sequence_item(l, node, i), i);
		if (rc)
			return rc;
	}
	return check_point_duplicates(l);
}

/* Index of the point called @name, or SIZE_MAX. */
static size_t find_point(const struct loader *l, const char *name)
{
	const struct gwiod_config *config = l->config;
	size_t low = 0, high = config->point_count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = strcmp(config->points[l->points_by_name[middle]].name,
				   name);

		if (!order)
			return l->points_by_name[middle];
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return SIZE_MAX;
}

/* ------------------------------------------------------------- routes */

static int parse_mode(struct loader *l, yaml_node_t *node, void *target,
		      const char *key)
{
	static const struct enum_name names[] = {
		{ "raw", GWIOD_MODE_RAW },
		{ "window", GWIOD_MODE_WINDOW },
		{ "downsample", GWIOD_MODE_DOWNSAMPLE },
	};
	int value;
	int rc = parse_enum(l, node, key, names, ARRAY_SIZE(names), &value);

	if (!rc)
		*(enum gwiod_mode *)target = value;
	return rc;
}

static int parse_format(struct loader *l, yaml_node_t *node, void *target,
			const char *key)
{
	static const struct enum_name names[] = {
		{ "json", GWIOD_FORMAT_JSON },
	};
	int value;
	int rc = parse_enum(l, node, key, names, ARRAY_SIZE(names), &value);

	if (!rc)
		*(enum gwiod_payload_format *)target = value;
	return rc;
}

static int parse_stats(struct loader *l, yaml_node_t *node, void *target,
		       const char *key)
{
	static const struct enum_name names[] = {
		{ "count", GWIOD_STAT_COUNT },
		{ "mean", GWIOD_STAT_MEAN },
		{ "min", GWIOD_STAT_MIN },
		{ "max", GWIOD_STAT_MAX },
		{ "std", GWIOD_STAT_STD },
		{ "sum", GWIOD_STAT_SUM },
		{ "rate", GWIOD_STAT_RATE },
		{ "first", GWIOD_STAT_FIRST },
		{ "last", GWIOD_STAT_LAST },
	};
	unsigned int mask = 0;
	int rc = expect_list(l, node, key, "[mean, min, max]");

	if (rc)
		return rc;
	for (size_t i = 0; i < sequence_length(node); i++) {
		yaml_node_t *item = sequence_item(l, node, i);
		int stat;

		rc = parse_enum(l, item, "stats", names, ARRAY_SIZE(names),
				&stat);
		if (rc)
			return rc;
		if (mask & stat)
			return fail_node(l, item, "stats: '%s' is listed twice",
					 scalar_text(item));
		mask |= stat;
	}
	*(unsigned int *)target = mask;
	return 0;
}

static int parse_batch(struct loader *l, yaml_node_t *node, void *target,
		       const char *key)
{
	static const struct key_spec specs[] = {
		KEY_UINT("max_samples", struct gwiod_config_route,
			 batch_max_samples, 1, GWIOD_MAX_BATCH_SAMPLES, false),
		KEY_DURATION("max_span", struct gwiod_config_route,
			     batch_max_span_ns, 1),
	};
	KEY_TABLE_FITS(specs);
	struct seen_key seen[MAX_KEYS];

	(void)key;
	return load_mapping(l, node, "batch", specs, ARRAY_SIZE(specs), target,
			    seen);
}

static int expect_point_selector(struct loader *l, const yaml_node_t *node,
				 const char *key)
{
	int rc = expect_scalar(l, node, key, "a point name or pattern");

	if (!rc && !node->data.scalar.length)
		rc = fail_node(l, node, "%s: empty point name", key);
	return rc;
}

/* Only the shape here; names are resolved once all routes are in. */
static int parse_route_points(struct loader *l, yaml_node_t *node,
			      void *target, const char *key)
{
	int rc;

	(void)target;
	if (node->type == YAML_SCALAR_NODE)
		return expect_point_selector(l, node, key);
	rc = expect_list(l, node, key, "[temp1, \"press*\"]");
	for (size_t i = 0; !rc && i < sequence_length(node); i++)
		rc = expect_point_selector(l, sequence_item(l, node, i), key);
	return rc;
}

static const struct key_spec route_keys[] = {
	/* resolved later, by bind_routes(): nothing to store yet */
	{ .name = "points", .kind = KIND_CUSTOM, .required = true,
	  .parse = parse_route_points },
	KEY("topic", KIND_STRING, struct gwiod_config_route, topic, true),
	KEY_UINT("qos", struct gwiod_config_route, qos, 0, 2, false),
	KEY("retain", KIND_BOOL, struct gwiod_config_route, retain, false),
	KEY_CUSTOM("format", struct gwiod_config_route, format, parse_format,
		   false),
	KEY_CUSTOM("mode", struct gwiod_config_route, mode, parse_mode, true),
	KEY_DURATION("window", struct gwiod_config_route, window_ns, 1),
	KEY_CUSTOM("stats", struct gwiod_config_route, stats, parse_stats,
		   false),
	/* offset 0: batch fills two members of the route */
	{ .name = "batch", .kind = KIND_CUSTOM, .parse = parse_batch },
};
#define ROUTE_KEY_COUNT ARRAY_SIZE(route_keys)
KEY_TABLE_FITS(route_keys);

static const char *const mode_names[] = {
	[GWIOD_MODE_RAW] = "raw",
	[GWIOD_MODE_WINDOW] = "window",
	[GWIOD_MODE_DOWNSAMPLE] = "downsample",
};

/* Each mode takes its own keys; another mode's key is a misunderstanding. */
static int check_mode_keys(struct loader *l, yaml_node_t *node,
			   struct gwiod_config_route *route,
			   const struct seen_key *seen)
{
	static const struct {
		const char *key;
		unsigned int modes;	/* 1 << mode */
		const char *modes_text;
	} mode_keys[] = {
		{ "window", 1u << GWIOD_MODE_WINDOW | 1u << GWIOD_MODE_DOWNSAMPLE,
		  "window or downsample" },
		{ "stats", 1u << GWIOD_MODE_WINDOW, "window" },
		{ "batch", 1u << GWIOD_MODE_RAW, "raw" },
	};
	const char *mode = mode_names[route->mode];

	for (size_t i = 0; i < ARRAY_SIZE(mode_keys); i++) {
		const struct seen_key *given =
			seen_of(route_keys, ROUTE_KEY_COUNT, seen,
				mode_keys[i].key);

		if (given->key && !(mode_keys[i].modes & 1u << route->mode))
			return fail_node(l, given->key,
					 "route: '%s' applies to mode %s, and this route's mode is %s",
					 mode_keys[i].key,
					 mode_keys[i].modes_text, mode);
	}
	if (route->mode != GWIOD_MODE_RAW && !route->window_ns)
		return fail_node(l, node,
				 "route: mode %s needs 'window' (e.g. window: 1m)",
				 mode);
	if (route->mode == GWIOD_MODE_RAW) {
		if (!route->batch_max_samples)
			route->batch_max_samples = 1000;
		if (!route->batch_max_span_ns)
			route->batch_max_span_ns = 1000000000;
	}
	if (route->mode == GWIOD_MODE_WINDOW && !route->stats)
		route->stats = GWIOD_STATS_DEFAULT;
	return 0;
}

static int load_route(struct loader *l, yaml_node_t *node, size_t index)
{
	struct gwiod_config_route *route = &l->config->routes[index];
	struct seen_key seen[MAX_KEYS];
	/* stand-ins that pass every topic rule: only the template is judged */
	static const struct gwiod_topic_fields placeholder_fields = {
		.site = "site", .source = "source", .point = "point",
		.device = "device", .channel = 0,
	};
	char why[256];
	int rc;

	if (node->type != YAML_MAPPING_NODE)
		return fail_node(l, node, "routes: each route is a mapping (- points: ..., topic: ...), found %s",
				 node_kind(node));
	route->qos = 1;
	route->format = GWIOD_FORMAT_JSON;
	rc = load_mapping(l, node, "route", route_keys, ROUTE_KEY_COUNT,
			  route, seen);
	if (rc)
		return rc;
	rc = check_mode_keys(l, node, route, seen);
	if (rc)
		return rc;
	route->line = node_line(node);
	route->column = node_column(node);
	l->route_keys[index].points =
		seen_of(route_keys, ROUTE_KEY_COUNT, seen, "points")->value;
	l->route_keys[index].topic =
		seen_of(route_keys, ROUTE_KEY_COUNT, seen, "topic")->value;

	/* template mistakes first, before any point's value can hide them */
	if (gwiod_topic_expand(route->topic, &placeholder_fields, NULL, 0, why,
			       sizeof(why)) < 0)
		return fail_node(l, l->route_keys[index].topic,
				 "topic: '%s': %s", Q(route->topic), why);
	return 0;
}

static int add_binding(struct loader *l, size_t route, size_t point_index)
{
	struct gwiod_config *config = l->config;
	const struct gwiod_config_point *point = &config->points[point_index];
	const struct gwiod_config_source *source =
		&config->sources[point->source];
	struct gwiod_topic_fields fields = {
		.site = config->site,
		.source = source->name,
		.point = point->name,
		.device = source->device_name,
		.channel = point->channel,
	};
	struct gwiod_config_binding *binding;
	int rc;

	if (config->binding_count == l->binding_capacity) {
		size_t capacity = l->binding_capacity
			? 2 * l->binding_capacity : 16;
		void *grown = config_reallocarray(config->bindings, capacity,
						  sizeof(*config->bindings));

		if (!grown)
			return fail_nomem(l);
		config->bindings = grown;
		l->binding_capacity = capacity;
	}
	binding = &config->bindings[config->binding_count];
	*binding = (struct gwiod_config_binding){
		.point = point_index, .route = route,
	};
	config->binding_count++;
	rc = expand_topic(l, l->route_keys[route].topic, "topic",
			  config->routes[route].topic, &fields,
			  &binding->topic);
	/* its retained "offline" would read as a sample, or be overwritten */
	if (!rc && !strcmp(binding->topic, config->broker.status_topic))
		rc = fail_node(l, l->route_keys[route].topic,
			       "topic: '%s' is the broker's status_topic",
			       Q(binding->topic));
	return rc;
}

/* Mark the points @entry (a name or a glob) selects. */
static int select_points(struct loader *l, const yaml_node_t *entry,
			 bool *selected)
{
	const struct gwiod_config *config = l->config;
	const char *text = scalar_text(entry), *suggestion = NULL;
	size_t matches = 0, best = SIZE_MAX, index;

	if (has_glob(text)) {
		for (size_t i = 0; i < config->point_count; i++)
			if (!fnmatch(text, config->points[i].name, 0)) {
				selected[i] = true;
				matches++;
			}
		if (!matches)
			return fail_node(l, entry,
					 "points: pattern '%s' matches no point",
					 Q(text));
		return 0;
	}
	index = find_point(l, text);
	if (index != SIZE_MAX) {
		selected[index] = true;
		return 0;
	}
	for (size_t i = 0; i < config->point_count; i++)
		if (is_near(text, config->points[i].name, &best))
			suggestion = config->points[i].name;
	if (suggestion)
		return fail_node(l, entry,
				 "points: unknown point '%s' (did you mean '%s'?)",
				 Q(text), suggestion);
	return fail_node(l, entry, "points: unknown point '%s'", Q(text));
}

struct binding_key {
	size_t point;
	const char *topic;
	size_t index;
};

static int compare_bindings(const void *a, const void *b)
{
	const struct binding_key *x = a, *y = b;
	int order;

	if (x->point != y->point)
		return (x->point > y->point) - (x->point < y->point);
	order = strcmp(x->topic, y->topic);
	if (order)
		return order;
	return (x->index > y->index) - (x->index < y->index);
}

static int compare_binding_topics(const void *a, const void *b)
{
	const struct binding_key *x = a, *y = b;
	int order = strcmp(x->topic, y->topic);

	if (order)
		return order;
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * One point twice on one topic is two streams nobody can tell apart:
 * an error.  Several points on one topic is fine (payloads name their
 * point) unless retained, where the broker keeps only the last message.
 */
static int check_binding_topics(struct loader *l)
{
	const struct gwiod_config *config = l->config;
	size_t count = config->binding_count, later = SIZE_MAX, earlier = 0;
	struct binding_key *keys = config_calloc(count, sizeof(*keys));
	int rc = 0;

	if (!keys)
		return fail_nomem(l);
	for (size_t i = 0; i < count; i++)
		keys[i] = (struct binding_key){
			.point = config->bindings[i].point,
			.topic = config->bindings[i].topic,
			.index = i,
		};
	qsort(keys, count, sizeof(*keys), compare_bindings);
	for (size_t i = 1; i < count; i++)
		if (keys[i].point == keys[i - 1].point &&
		    !strcmp(keys[i].topic, keys[i - 1].topic) &&
		    keys[i].index < later) {
			later = keys[i].index;
			earlier = keys[i - 1].index;
		}
	if (later != SIZE_MAX) {
		const struct gwiod_config_binding *first =
			&config->bindings[earlier];
		size_t route = config->bindings[later].route;

		rc = fail_node(l, l->route_keys[route].topic,
			       "topic: point '%s' already goes to '%s' by the route at line %u; give each route its own topic",
			       config->points[first->point].name,
			       Q(first->topic),
			       config->routes[first->route].line);
		goto out;
	}

	/*
	 * One warning per topic: runs of equal topics, each in binding
	 * order; sort_warnings() puts them in file order afterwards.
	 */
	qsort(keys, count, sizeof(*keys), compare_binding_topics);
	for (size_t start = 0, end; start < count && !rc; start = end) {
		bool retained = false;

		for (end = start; end < count &&
		     !strcmp(keys[end].topic, keys[start].topic); end++)
			retained |= config->routes[
				config->bindings[keys[end].index].route].retain;
		if (end - start > 1 && retained) {
			const struct gwiod_config_binding *a =
				&config->bindings[keys[start].index];
			const struct gwiod_config_binding *b =
				&config->bindings[keys[start + 1].index];

			rc = warn_node(l, l->route_keys[b->route].topic,
				       "topic '%s' is retained and shared by points '%s' and '%s': the broker keeps only the last message (add {point} to the topic)",
				       Q(a->topic),
				       config->points[a->point].name,
				       config->points[b->point].name);
		}
	}
out:
	free(keys);
	return rc;
}

static int bind_routes(struct loader *l)
{
	const struct gwiod_config *config = l->config;
	bool *selected = config_calloc(config->point_count, sizeof(*selected));
	bool *routed = config_calloc(config->point_count, sizeof(*routed));
	int rc = 0;

	if (!selected || !routed) {
		rc = fail_nomem(l);
		goto out;
	}
	for (size_t r = 0; r < config->route_count && !rc; r++) {
		const yaml_node_t *points = l->route_keys[r].points;

		memset(selected, 0, config->point_count * sizeof(*selected));
		if (points->type == YAML_SCALAR_NODE)
			rc = select_points(l, points, selected);
		for (size_t i = 0; points->type == YAML_SEQUENCE_NODE && !rc &&
				   i < sequence_length(points); i++)
			rc = select_points(l, sequence_item(l, points, i),
					   selected);
		/* point order, so a route's bindings do not depend on how
		 * its list was written */
		for (size_t p = 0; p < config->point_count && !rc; p++) {
			if (!selected[p])
				continue;
			routed[p] = true;
			rc = add_binding(l, r, p);
			if (!rc && config->routes[r].mode == GWIOD_MODE_WINDOW &&
			    config->points[p].deadband > 0)
				rc = warn_node(l, mapping_get(l, l->point_nodes[p],
							      "deadband"),
					       "point '%s': the deadband applies before the window of the route at line %u, so its statistics see only the samples that pass it",
					       config->points[p].name,
					       config->routes[r].line);
		}
	}
	if (!rc)
		rc = check_binding_topics(l);
	for (size_t p = 0; p < config->point_count && !rc; p++)
		if (!routed[p])
			rc = warn_node(l, l->point_nodes[p],
				       "point '%s' is in no route: it will be read but never published",
				       config->points[p].name);
out:
	free(selected);
	free(routed);
	return rc;
}

static int parse_routes(struct loader *l, yaml_node_t *node, void *target,
			const char *key)
{
	struct gwiod_config *config = l->config;
	size_t count;
	int rc = expect_list(l, node, key, "- points: [temp1]");

	(void)target;
	if (rc)
		return rc;
	count = sequence_length(node);
	config->routes = config_calloc(count, sizeof(*config->routes));
	l->route_keys = config_calloc(count, sizeof(*l->route_keys));
	if (!config->routes || !l->route_keys)
		return fail_nomem(l);
	config->route_count = count;
	for (size_t i = 0; i < count; i++) {
		rc = load_route(l, sequence_item(l, node, i), i);
		if (rc)
			return rc;
	}
	return bind_routes(l);
}

/* --------------------------------------------------------------- root */

/* In dependency order: each value may use what the ones above filled. */
static const struct key_spec root_keys[] = {
	KEY("site", KIND_NAME, struct gwiod_config, site, true),
	KEY_CUSTOM("broker", struct gwiod_config, broker, parse_broker, true),
	KEY_CUSTOM("sources", struct gwiod_config, sources, parse_sources,
		   true),
	KEY_CUSTOM("points", struct gwiod_config, points, parse_points, true),
	KEY_CUSTOM("routes", struct gwiod_config, routes, parse_routes, true),
};
KEY_TABLE_FITS(root_keys);

/* Checks run in dependency order; a reader wants them in file order. */
static void sort_warnings(struct gwiod_config *config)
{
	struct gwiod_config_warning *warnings = config->warnings;

	/*
	 * Insertion sort: stable, so warnings at one place keep the order
	 * they were found in, and close to linear because each check
	 * already walks the file in order.
	 */
	for (size_t i = 1; i < config->warning_count; i++) {
		struct gwiod_config_warning moving = warnings[i];
		size_t j = i;

		for (; j > 0 && (warnings[j - 1].line > moving.line ||
				 (warnings[j - 1].line == moving.line &&
				  warnings[j - 1].column > moving.column)); j--)
			warnings[j] = warnings[j - 1];
		warnings[j] = moving;
	}
}

/*
 * Bytes of the line break at @p, or 0: LF, CR LF, CR, and NEL, LS and PS
 * in UTF-8, the breaks libyaml counts lines by.
 */
static size_t line_break_width(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t left = end - p;

	if (u[0] == '\r')
		return left > 1 && u[1] == '\n' ? 2 : 1;
	if (u[0] == '\n')
		return 1;
	if (left > 1 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (left > 2 && u[0] == 0xe2 && u[1] == 0x80 &&
	    (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	return 0;
}

/*
 * The text as libyaml's marks count it, so that a byte offset and a mark
 * can be translated: lines by its line breaks, columns in characters,
 * and a leading BOM not counted at all.
 */
struct text_walk {
	const char *p, *end;
	yaml_mark_t mark;	/* where p is */
};

static struct text_walk walk_start(const struct loader *l, size_t stop)
{
	struct text_walk w = {
		.p = l->text,
		.end = l->text + (stop < l->text_size ? stop : l->text_size),
	};

	if (w.end - w.p >= 3 && !memcmp(w.p, "\xef\xbb\xbf", 3))
		w.p += 3;
	return w;
}

static void walk_step(struct text_walk *w)
{
	size_t line_break = line_break_width(w->p, w->end);

	if (line_break) {
		w->p += line_break;
		w->mark.line++;
		w->mark.column = 0;
		return;
	}
	do
		w->p++;
	while (w->p < w->end && ((unsigned char)*w->p & 0xc0) == 0x80);
	w->mark.column++;
}

/* libyaml's reader reports a byte offset, the others a mark. */
static void mark_from_offset(const struct loader *l, size_t offset,
			     yaml_mark_t *mark)
{
	struct text_walk w = walk_start(l, offset);

	while (w.p < w.end)
		walk_step(&w);
	*mark = w.mark;
}

/* The byte at @mark, or '\0' past the text or its line. */
static char char_at_mark(const struct loader *l, const yaml_mark_t *mark)
{
	struct text_walk w = walk_start(l, SIZE_MAX);

	while (w.p < w.end && (w.mark.line < mark->line ||
			       (w.mark.line == mark->line &&
				w.mark.column < mark->column)))
		walk_step(&w);
	return w.p < w.end && w.mark.line == mark->line ? *w.p : '\0';
}

static int parser_error(struct loader *l, const yaml_parser_t *parser)
{
	yaml_mark_t mark = parser->problem_mark;
	const char *hint = "";
	char context[96] = "";

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		return fail_nomem(l);
	case YAML_READER_ERROR:
		mark_from_offset(l, parser->problem_offset, &mark);
		/* the value is a byte for broken UTF-8, else a character */
		if (parser->problem_value == -1)
			return fail_at(l, &mark, "not valid text: %s",
				       parser->problem);
		if (parser->problem && strstr(parser->problem, "octet"))
			return fail_at(l, &mark,
				       "not valid UTF-8 text: %s (byte 0x%02x)",
				       parser->problem, parser->problem_value);
		return fail_at(l, &mark, "not valid text: %s (U+%04X)",
			       parser->problem,
			       (unsigned int)parser->problem_value);
	default:
		break;
	}
	if (parser->context)
		snprintf(context, sizeof(context), " (%s at line %zu)",
			 parser->context, parser->context_mark.line + 1);
	/* the two slips libyaml's own words do not explain */
	if (char_at_mark(l, &mark) == '\t')
		hint = "; YAML does not allow tabs for indentation, use spaces";
	else if ((parser->context && strstr(parser->context, "alias")) ||
		 (parser->problem && strstr(parser->problem, "alias")))
		hint = "; * starts a YAML alias, so quote point patterns: \"*\", \"*_temp\"";
	return fail_at(l, &mark, "YAML syntax error: %s%s%s",
		       parser->problem ? parser->problem : "unknown problem",
		       context, hint);
}

static int load_document(struct loader *l, yaml_parser_t *parser)
{
	yaml_document_t next;
	yaml_node_t *root, *next_root;
	struct seen_key seen[MAX_KEYS];
	int rc;

	if (!yaml_parser_load(parser, &l->document))
		return parser_error(l, parser);
	root = yaml_document_get_root_node(&l->document);
	if (!root) {
		snprintf(l->err->reason, sizeof(l->err->reason),
			 "no configuration: the file is empty or only comments");
		return -EINVAL;
	}
	if (!yaml_parser_load(parser, &next))
		return parser_error(l, parser);
	next_root = yaml_document_get_root_node(&next);
	rc = next_root ? fail_at(l, &next.start_mark,
				 "a second YAML document ('---'): the configuration is one document")
		       : 0;
	yaml_document_delete(&next);
	if (rc)
		return rc;

	l->config = config_calloc(1, sizeof(*l->config));
	if (!l->config)
		return fail_nomem(l);
	l->config->path = config_strndup(l->name, strlen(l->name));
	if (!l->config->path)
		return fail_nomem(l);
	rc = load_mapping(l, root, "the configuration", root_keys,
			  ARRAY_SIZE(root_keys),
			  l->config, seen);
	if (!rc)
		sort_warnings(l->config);
	return rc;
}

static int fail_too_big(struct gwiod_config_error *err)
{
	snprintf(err->reason, sizeof(err->reason),
		 "larger than %u MiB: not a configuration",
		 GWIOD_CONFIG_MAX_FILE_SIZE >> 20);
	return -EFBIG;
}

int gwiod_config_load_buffer(const char *text, size_t size, const char *name,
			     struct gwiod_config **out,
			     struct gwiod_config_error *err)
{
	struct gwiod_config_error own_err;
	struct loader l = {
		.name = name, .text = text, .text_size = size,
		.err = err ? err : &own_err,
	};
	yaml_parser_t parser;
	int rc;

	*out = NULL;
	reset_error(l.err, name);
	if (size > GWIOD_CONFIG_MAX_FILE_SIZE)
		return fail_too_big(l.err);
	if (!yaml_parser_initialize(&parser))
		return fail_nomem(&l);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     size);
	/* the document must stay alive until the walk has copied it out */
	memset(&l.document, 0, sizeof(l.document));
	rc = load_document(&l, &parser);
	yaml_document_delete(&l.document);
	yaml_parser_delete(&parser);
	free(l.point_nodes);
	free(l.route_keys);
	free(l.points_by_name);
	if (rc) {
		gwiod_config_free(l.config);
		return rc;
	}
	*out = l.config;
	return 0;
}

int gwiod_config_load(const char *path, struct gwiod_config **out,
		      struct gwiod_config_error *err)
{
	struct gwiod_config_error own_err;
	struct gwiod_config_error *e = err ? err : &own_err;
	size_t size = 0, capacity = 4096;
	char *text = NULL;
	FILE *file;
	int rc;

	*out = NULL;
	reset_error(e, path);
	file = fopen(path, "rb");
	if (!file) {
		rc = -errno;
		snprintf(e->reason, sizeof(e->reason), "cannot open: %s",
			 strerror(-rc));
		return rc;
	}
	/* read whole rather than stat: works for pipes and /proc alike */
	for (;;) {
		char *grown;

		if (size == capacity || !text) {
			if (text)
				capacity *= 2;
			grown = config_reallocarray(text, capacity, 1);
			if (!grown) {
				rc = -ENOMEM;
				snprintf(e->reason, sizeof(e->reason),
					 "out of memory");
				goto out;
			}
			text = grown;
		}
		errno = 0;
		size += fread(text + size, 1, capacity - size, file);
		if (ferror(file)) {
			rc = -(errno ? errno : EIO);
			snprintf(e->reason, sizeof(e->reason),
				 "cannot read: %s", strerror(-rc));
			goto out;
		}
		if (size > GWIOD_CONFIG_MAX_FILE_SIZE) {
			rc = fail_too_big(e);
			goto out;
		}
		if (feof(file))
			break;
	}
	rc = gwiod_config_load_buffer(text, size, path, out, e);
out:
	fclose(file);
	free(text);
	return rc;
}

/* ------------------------------------------------------------- result */

void gwiod_config_free(struct gwiod_config *config)
{
	if (!config)
		return;
	free(config->path);
	free(config->site);
	free(config->broker.host);
	free(config->broker.client_id);
	free(config->broker.username);
	free(config->broker.password);
	free(config->broker.password_file);
	free(config->broker.tls.ca_file);
	free(config->broker.tls.cert_file);
	free(config->broker.tls.key_file);
	free(config->broker.status_topic);
	for (size_t i = 0; i < config->source_count; i++) {
		free(config->sources[i].name);
		free(config->sources[i].device_name);
		if (config->sources[i].type == GWIOD_SOURCE_GWIO)
			free(config->sources[i].gwio.device);
	}
	free(config->sources);
	for (size_t i = 0; i < config->point_count; i++) {
		free(config->points[i].name);
		free(config->points[i].unit);
	}
	free(config->points);
	for (size_t i = 0; i < config->route_count; i++)
		free(config->routes[i].topic);
	free(config->routes);
	for (size_t i = 0; i < config->binding_count; i++)
		free(config->bindings[i].topic);
	free(config->bindings);
	for (size_t i = 0; i < config->warning_count; i++)
		free(config->warnings[i].message);
	free(config->warnings);
	free(config);
}

void gwiod_config_point_config(const struct gwiod_config *config,
			       size_t binding_index,
			       struct gwiod_point_config *out)
{
	const struct gwiod_config_binding *binding =
		&config->bindings[binding_index];
	const struct gwiod_config_point *point = &config->points[binding->point];
	const struct gwiod_config_route *route =
		&config->routes[binding->route];

	*out = (struct gwiod_point_config){
		.name = point->name,
		.unit = point->unit,
		.device = config->sources[point->source].device_index,
		.channel = point->channel,
		.scale = point->scale,
		.offset = point->offset,
		.deadband = point->deadband,
		.mode = route->mode,
		.batch_max_samples = route->batch_max_samples,
		.batch_max_span_ns = route->batch_max_span_ns,
		.window_ns = route->window_ns,
		.user = NULL,
	};
}
