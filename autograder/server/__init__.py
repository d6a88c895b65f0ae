"""The course server: quiz pages, a JSON API and a grading queue over one gradebook.

app.py         the Starlette application (routes from student.py, instructor.py, api.py)
auth.py        sign-in links, signed session cookies, CSRF, roles
schema.py      the server's tables (one migration in the gradebook's migration path)
store.py       people, drafts, the job queue, rate limits, due dates, overrides
worker.py      grading workers: separate processes that claim queued jobs with a lease
course.py      what a page shows of an exercise (statement, stub, given files, versions)
public.py      a grade as a student may see it: no hidden values, no seed, no reference
client.py      `gdlab submit --server` and the lab's check cells talking to a server
serve.py       `gdlab serve`: workers + uvicorn
"""
