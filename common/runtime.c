#include <stddef.h>
#include <strings.h>

#include "runtime.h"

const struct runtime_info tf_runtimes[] = {
	{ "nodejs18", "Nodejs18", "Node.js 18", "javascript", TF_LANG_NODE, "v18." },
	{ "nodejs20", "Nodejs20", "Node.js 20", "javascript", TF_LANG_NODE, "v20." },
	{ "nodejs22", "Nodejs22", "Node.js 22", "javascript", TF_LANG_NODE, "v22." },
	{ "python3.11", "Python311", "Python 3.11", "python", TF_LANG_PYTHON, "3.11." },
	{ "python3.12", "Python312", "Python 3.12", "python", TF_LANG_PYTHON, "3.12." },
};
const unsigned tf_runtime_count = sizeof(tf_runtimes) / sizeof(tf_runtimes[0]);

const struct runtime_info *runtime_find(const char *s)
{
	if (s == NULL)
		return NULL;
	for (unsigned i = 0; i < tf_runtime_count; i++) {
		if (strcasecmp(s, tf_runtimes[i].id) == 0 || strcasecmp(s, tf_runtimes[i].platform_name) == 0)
			return &tf_runtimes[i];
	}
	return NULL;
}

const char *runtime_list_text(void)
{
	return "nodejs18, nodejs20, nodejs22, python3.11, python3.12 "
	       "(or Nodejs18, Nodejs20, Nodejs22, Python311, Python312)";
}
