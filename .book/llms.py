def write_llms_files(app, exc):
    pass
