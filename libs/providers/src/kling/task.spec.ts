import { normalizeKlingTask, parseKlingCallback } from './task.js';

describe('Kling task', () => {
  it('reads the documented task object: string ids, ms times, succeed, duration as text', () => {
    const task = normalizeKlingTask({
      task_id: '842250903629086785',
      task_status: 'succeed',
      task_status_msg: '',
      task_info: { external_task_id: 'my-123' },
      task_result: { videos: [{ id: '842250903708778556', url: 'https://cdn/x.mp4', watermark_url: 'https://cdn/w.mp4', duration: '5.1' }] },
      watermark_info: { enabled: false },
      final_unit_deduction: '1',
      created_at: 1722769557708,
      updated_at: 1722769557708,
    });
    expect(task).toMatchObject({
      id: '842250903629086785',
      status: 'succeed',
      phase: 'succeeded',
      terminal: true,
      externalTaskId: 'my-123',
      videos: [{ id: '842250903708778556', url: 'https://cdn/x.mp4', watermarkUrl: 'https://cdn/w.mp4', duration: '5.1', durationSeconds: 5.1 }],
      createdAt: 1722769557708,
      finalUnitDeduction: '1',
    });
  });

  it('maps the four statuses; a failure keeps its message; an unknown status is not terminal', () => {
    expect(normalizeKlingTask({ task_id: '1', task_status: 'submitted' })).toMatchObject({ phase: 'queued', terminal: false, videos: [], externalTaskId: null });
    expect(normalizeKlingTask({ task_id: '1', task_status: 'processing' })).toMatchObject({ phase: 'running', terminal: false });
    expect(normalizeKlingTask({ task_id: '1', task_status: 'failed', task_status_msg: 'risk control' })).toMatchObject({ phase: 'failed', terminal: true, statusMessage: 'risk control' });
    expect(normalizeKlingTask({ task_id: '1', task_status: 'paused' })).toMatchObject({ status: 'paused', terminal: false });
  });

  it('parses a callback body (no envelope), from JSON text too', () => {
    const body = { task_id: '9', task_status: 'processing', task_info: { external_task_id: 'e' }, created_at: 1, updated_at: 2 };
    expect(parseKlingCallback(body)).toMatchObject({ id: '9', phase: 'running', externalTaskId: 'e' });
    expect(parseKlingCallback(JSON.stringify(body))).toMatchObject({ id: '9' });
    expect(parseKlingCallback('nope')).toBeNull();
    expect(parseKlingCallback({ code: 0 })).toBeNull();
  });
});
