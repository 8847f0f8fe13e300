/* The runtimes the platform knows, under both spellings of the two API references. */
#ifndef TF_RUNTIME_H
#define TF_RUNTIME_H

#include <stdbool.h>

enum tf_language { TF_LANG_NODE, TF_LANG_PYTHON };

struct runtime_info {
	const char *id;             /* TauFunctions spelling and config key: "nodejs20" */
	const char *platform_name;  /* platform API spelling: "Nodejs20" */
	const char *name;           /* "Node.js 20" */
	const char *language;       /* "javascript" | "python" */
	enum tf_language lang;
	const char *version_prefix; /* what the interpreter reports: "v20." | "3.11." */
};

extern const struct runtime_info tf_runtimes[];
extern const unsigned tf_runtime_count;

/* Finds a runtime by either spelling, ignoring case; NULL if unknown. */
const struct runtime_info *runtime_find(const char *spelling);
/* "nodejs18, nodejs20, ..." for error messages. */
const char *runtime_list_text(void);

#endif
