/*
 * The ceiling of this architecture: a FastCGI responder that answers a fixed JSON
 * behind the same nginx, with nothing of the platform in between.
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sock;

static void *serve(void *arg)
{
	static const char answer[] = "{\"statusCode\":200,\"body\":\"{\\\"msg\\\":\\\"hello\\\"}\"}";
	FCGX_Request r;
	char discard[4096];

	(void)arg;
	FCGX_InitRequest(&r, sock, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		while (FCGX_GetStr(discard, sizeof(discard), r.in) > 0)
			;
		FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n", r.out);
		FCGX_PutStr(answer, (int)strlen(answer), r.out);
		FCGX_Finish_r(&r);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tf-fcgi-hello SOCKET THREADS\n");
		return 2;
	}
	FCGX_Init();
	unlink(argv[1]);
	sock = FCGX_OpenSocket(argv[1], 1024);
	if (sock < 0 || chmod(argv[1], 0666) != 0)
		return 1;
	int n = atoi(argv[2]);
	pthread_t t;
	for (int i = 1; i < n; i++)
		pthread_create(&t, NULL, serve, NULL);
	serve(NULL);
	return 0;
}
